#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with Node's built-in test runner (through tsx).
// Node 20's --test does not expand globs, so the file list is gathered here.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
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
const run = (list, concurrency) =>
  list.length === 0
    ? 0
    : (spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...list], { stdio: 'inherit' }).status ?? 1);
const first = run(parallel, 2);
const second = run(serial, 1);
process.exit(first !== 0 ? first : second);
