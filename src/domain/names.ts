import { appError } from './errors.js';

const MODEL_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/i;

/** Model names appear in URLs, file paths and Prometheus labels, so they stay plain. */
export function assertModelName(name: string): string {
  if (!MODEL_NAME.test(name) || name.includes('..')) {
    throw appError(
      'invalid_name',
      `invalid model name "${name}": use 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  return name;
}
