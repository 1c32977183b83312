#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with Node's built-in test runner (through tsx).
// Node 20's --test does not expand globs, so the file list is gathered here.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function find(dir, out = []) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) find(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const filter = process.argv.slice(2);
const files = [...find('src'), ...find('test')].filter((f) => filter.length === 0 || filter.some((p) => f.includes(p))).sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// *.serial.test.ts files load the whole machine (SIGKILL rounds, soak, fuzz, Chromium): they run
// after the rest, one at a time, so their load never skews a neighbour's latency or timing checks.
const parallel = files.filter((f) => !f.endsWith('.serial.test.ts'));
const serial = files.filter((f) => f.endsWith('.serial.test.ts'));
// One PostgreSQL server for the whole run (src/test-support/postgres-main.ts), on a temporary
// directory and a loopback port; each test makes its own database on it. Without PostgreSQL the
// tests that need it skip loudly, unless COALMINE_REQUIRE_POSTGRES=1 (CI) says they must run.
function hasPostgres() {
  const onPath = (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, 'initdb')));
  if (onPath) return true;
  try {
    return readdirSync('/usr/lib/postgresql').some((m) => existsSync(`/usr/lib/postgresql/${m}/bin/initdb`));
  } catch {
    return false;
  }
}

async function startPostgres() {
  if (process.env.COALMINE_TEST_POSTGRES_URL || !hasPostgres()) return null;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/test-support/postgres-main.ts'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the test PostgreSQL server exited with ${code}`)));
    child.stdout.on('data', (d) => {
      const m = /ready (\S+)/.exec(d.toString());
      if (m) resolve(m[1]);
    });
  });
  process.env.COALMINE_TEST_POSTGRES_URL = url;
  console.log(`PostgreSQL for the tests: ${url}`);
  return child;
}

const pg = await startPostgres();
const stopPostgres = () =>
  new Promise((resolve) => {
    if (!pg || pg.exitCode !== null) return resolve();
    pg.once('exit', resolve);
    pg.kill('SIGTERM');
  });

const run = (list, concurrency) =>
  list.length === 0
    ? 0
    : (spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...list], { stdio: 'inherit' }).status ?? 1);
const first = run(parallel, 2);
const second = run(serial, 1);
await stopPostgres();
process.exit(first !== 0 ? first : second);
