import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'bench/results/', 'test-artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // The dashboard runs in the browser and may only use the public HTTP API.
    files: ['src/dashboard/**/*.{ts,tsx}'],
    ignores: ['src/dashboard/**/*.test.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      // Types of the wire format (src/wire) may be shared; code from the server side may not.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'the dashboard runs in the browser' },
            { group: ['../*/index.js', '../../*'], allowTypeImports: true, message: 'the dashboard talks to the server only over HTTP (types of src/wire are fine)' },
          ],
        },
      ],
    },
  },
);
