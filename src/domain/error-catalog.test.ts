import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AppError, ERROR_STATUS, type ErrorCode } from './errors.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function documented(): Map<string, number> {
  const doc = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');
  return new Map([...doc.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map(([, code, status]) => [code!, Number(status)]));
}

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (/\.tsx?$/.test(name) && !name.endsWith('.test.ts') && !path.endsWith(join('domain', 'errors.ts'))) out.push(readFileSync(path, 'utf8'));
  }
  return out;
}

describe('error catalog', () => {
  it('docs/errors.md lists every code with the status the catalog binds it to, and nothing else', () => {
    const docs = documented();
    for (const [code, status] of Object.entries(ERROR_STATUS)) assert.equal(docs.get(code), status, `docs/errors.md: ${code} should be documented with status ${status}`);
    for (const code of docs.keys()) assert.ok(code in ERROR_STATUS, `docs/errors.md documents ${code}, which the catalog does not have`);
  });

  it('every code in the catalog is raised somewhere', () => {
    const code = sources(join(ROOT, 'src')).join('\n');
    const unused = Object.keys(ERROR_STATUS).filter((c) => !code.includes(`'${c}'`));
    assert.deepEqual(unused, []);
  });

  it('an error takes its status from the catalog', () => {
    for (const [code, status] of Object.entries(ERROR_STATUS)) assert.equal(new AppError(code as ErrorCode, 'x').status, status);
  });
});
