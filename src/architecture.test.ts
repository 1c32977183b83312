import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = dirname(fileURLToPath(import.meta.url));
const DOC = join(SRC, '..', 'docs', 'architecture.md');

/**
 * The module table of docs/architecture.md is the dependency table: each row is
 * `| \`module\` | holds | \`a\`, \`b\` |` (or `*`, or — for nothing). Reading it here keeps the
 * documented rules and the checked ones one and the same.
 */
function documentedModules(): Record<string, readonly string[]> {
  const doc = readFileSync(DOC, 'utf8');
  const section = doc.split(/^## /m).find((s) => s.startsWith('Modules'));
  assert.ok(section, 'docs/architecture.md has a "Modules" section');
  const table: Record<string, readonly string[]> = {};
  for (const [, name, allowed] of section.matchAll(/^\| `([a-z-]+)` \|[^|]*\| ([^|]*) \|$/gm)) {
    const list = allowed!.trim();
    table[name!] = list === '—' ? [] : list === '`*`' ? ['*'] : list.split(',').map((x) => x.trim().replace(/`/g, ''));
  }
  return table;
}

const ALLOWED = documentedModules();

function files(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files(path, out);
    else if (/\.tsx?$/.test(name) && !name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const moduleOf = (file: string) => relative(SRC, file).split('/')[0]!;

describe('architecture', () => {
  const all = files(SRC).filter((f) => moduleOf(f) !== relative(SRC, f));

  it('docs/architecture.md lists every module of src/, and only those', () => {
    const folders = readdirSync(SRC).filter((n) => statSync(join(SRC, n)).isDirectory()).sort();
    assert.deepEqual(Object.keys(ALLOWED).sort(), folders);
    for (const [name, allowed] of Object.entries(ALLOWED)) {
      for (const to of allowed) assert.ok(to === '*' || to in ALLOWED, `docs/architecture.md: ${name} may import "${to}", which is not a module`);
    }
  });

  it('every module imports only what docs/architecture.md allows, and only through index.ts', () => {
    const problems: string[] = [];
    for (const file of all) {
      const from = moduleOf(file);
      const allowed = ALLOWED[from];
      if (!allowed) {
        problems.push(`${relative(SRC, file)}: module "${from}" is not in the dependency table`);
        continue;
      }
      const source = readFileSync(file, 'utf8');
      for (const [, spec] of source.matchAll(/^(?:import|export)[^'"]*from '(\.[^']+)'/gm)) {
        const target = resolve(dirname(file), spec!);
        const to = moduleOf(target);
        if (to === from) continue;
        if (!allowed.includes('*') && !allowed.includes(to)) problems.push(`${relative(SRC, file)} imports ${to}/ (allowed: ${allowed.join(', ') || 'nothing'})`);
        if (relative(join(SRC, to), target) !== 'index.js') problems.push(`${relative(SRC, file)} reaches past ${to}/index.ts: ${spec}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('wire holds types only, so clients (the browser bundle too) import no code from it', () => {
    for (const file of all.filter((f) => moduleOf(f) === 'wire')) {
      const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      for (const line of code.split('\n').filter((l) => /^export /.test(l))) assert.match(line, /^export (type|interface) /, `${relative(SRC, file)}: ${line}`);
    }
  });

  it('pure modules (domain, routing, analysis) stay free of I/O and clocks', () => {
    for (const file of all.filter((f) => ['routing', 'domain', 'analysis'].includes(moduleOf(f)))) {
      const source = readFileSync(file, 'utf8');
      assert.doesNotMatch(source, /from 'node:(fs|net|http|child_process)'/, file);
      assert.doesNotMatch(source, /Date\.now\(|new Date\(/, file);
    }
  });

  it('the dashboard uses only the browser, its bundled libraries and the HTTP API', () => {
    const BUNDLED = ['preact', 'preact/hooks', 'uplot', 'uplot/dist/uPlot.min.css'];
    const found = all.filter((f) => moduleOf(f) === 'dashboard');
    assert.ok(found.length >= 5, 'dashboard sources are scanned');
    for (const file of found) {
      const source = readFileSync(file, 'utf8');
      for (const [, a, b] of source.matchAll(/^(?:import|export)[^'"]*from '([^']+)'|^import '([^']+)'/gm)) {
        const spec = (a ?? b)!;
        if (spec.startsWith('.')) {
          const to = moduleOf(resolve(dirname(file), spec));
          assert.ok(to === 'dashboard' || (to === 'wire' && /^import type /m.test(source)), `${relative(SRC, file)} imports ${spec}`);
        }
        else assert.ok(BUNDLED.includes(spec), `${relative(SRC, file)} imports ${spec}, which is not bundled for the browser`);
      }
    }
  });
});
