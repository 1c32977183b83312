import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { isAppError } from '../domain/index.js';
import { startTestServer } from '../test-support/test-server.js';
import { createApp } from './create-app.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const newDir = (name: string) => {
  const d = mkdtempSync(join(tmpdir(), `coalmine-${name}-`));
  dirs.push(d);
  return d;
};

/** A logger whose lines a test can read. */
function capture(): { logger: pino.Logger; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const stream = new Writable({ write: (chunk: Buffer, _enc, done) => (out.push(chunk.toString()), done()) });
  return { logger: pino({ level: 'info', base: undefined }, stream), lines: () => out.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('the data directory', () => {
  it('belongs to one server at a time: a second refuses to start and says why', async () => {
    const dataDir = newDir('lock');
    const first = await startTestServer({ dataDir, keepDataDir: true });
    try {
      await assert.rejects(
        createApp({ host: '127.0.0.1', port: 0, dataDir }, { logger: pino({ level: 'silent' }) }),
        (err: unknown) => isAppError(err) && err.code === 'conflict' && new RegExp(`in use by coalmine process ${process.pid}`).test(err.message) && /another --data-dir/.test(err.message),
      );
    } finally {
      await first.close();
    }
    const again = await startTestServer({ dataDir, keepDataDir: true });
    assert.equal((await again.request('GET', '/v1/models/churn')).status, 200, 'the lock is released on close');
    await again.close();
  });

  it('an emptied database is not taken for a new install', async () => {
    const dataDir = newDir('empty');
    const s = await startTestServer({ dataDir, keepDataDir: true });
    await s.close();
    writeFileSync(join(dataDir, 'coalmine.db'), '');
    rmSync(join(dataDir, 'coalmine.db-wal'), { force: true });
    rmSync(join(dataDir, 'coalmine.db-shm'), { force: true });
    await assert.rejects(
      createApp({ host: '127.0.0.1', port: 0, dataDir }, { logger: pino({ level: 'silent' }) }),
      (err: unknown) => isAppError(err) && /coalmine\.db is empty, but the data directory .* has held coalmine state \(it has 2 model files\)/.test(err.message) && /Restore coalmine\.db from a backup/.test(err.message),
    );
    assert.equal(readFileSync(join(dataDir, 'coalmine.db')).length, 0, 'the refused start wrote nothing into the file');
    const fresh = await startTestServer({ dataDir: newDir('fresh'), keepDataDir: true });
    assert.equal((await fresh.request('GET', '/v1/models')).status, 200, 'a new directory still starts');
    await fresh.close();
  });

  it('files of interrupted uploads are removed at start', async () => {
    const dataDir = newDir('tmp');
    const s = await startTestServer({ dataDir, keepDataDir: true });
    await s.close();
    const leftover = join(dataDir, 'models', `.churn-0123456789abcdef.onnx.${process.pid + 1}.tmp`);
    writeFileSync(leftover, Buffer.alloc(1024));
    const again = await startTestServer({ dataDir, keepDataDir: true });
    await again.close();
    assert.equal(existsSync(leftover), false);
  });

  it('an artifact that no longer matches its sha256 is not served, and says why', async () => {
    const dataDir = newDir('sha');
    let s = await startTestServer({ dataDir, keepDataDir: true });
    const v1 = (await s.request('GET', '/v1/models/churn')).json.versions[0];
    await s.close();
    const file = join(dataDir, 'models', `churn-${v1.sha256.slice(0, 16)}.onnx`);
    const bytes = readFileSync(file);
    // Flip bits near the end, where the initializers (the weights) are.
    for (let i = 0; i < 10; i++) bytes[bytes.length - 8 - i * 4] = bytes[bytes.length - 8 - i * 4]! ^ 0x40;
    writeFileSync(file, bytes);
    s = await startTestServer({ dataDir, keepDataDir: true, examples: false });
    try {
      const view = (await s.request('GET', '/v1/models/churn')).json;
      assert.equal(view.versions[0].status, 'failed');
      assert.match(view.versions[0].load_error, /does not match the sha256 it was registered with/);
      const ready = await s.request('GET', '/readyz');
      assert.equal(ready.status, 503);
      assert.match(ready.json.problems.join('\n'), /churn v1: .*does not match the sha256/);
      assert.equal(view.versions[1].status, 'ready', 'the intact version still loads');
    } finally {
      await s.close();
    }
  });

  it('says at start which access mode is in force, naming the token file', async () => {
    const dataDir = newDir('access');
    const open = capture();
    let app = await createApp({ host: '127.0.0.1', port: 0, dataDir, adminToken: null }, { logger: open.logger, scheduler: false });
    await app.close();
    assert.ok(open.lines().some((l) => /^access: open \(loopback only/.test(String(l.msg))), 'open mode is announced');
    writeFileSync(join(dataDir, 'admin-token'), 'a-leftover-token-0123456789\n');
    const closed = capture();
    app = await createApp({ host: '127.0.0.1', port: 0, dataDir, adminToken: null }, { logger: closed.logger, scheduler: false });
    await app.close();
    const line = closed.lines().find((l) => String(l.msg).startsWith('access:'));
    assert.ok(line, 'the access mode is logged');
    assert.match(String(line.msg), new RegExp(`admin changes need the token in ${join(dataDir, 'admin-token').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}.*Delete that file`));
  });
});
