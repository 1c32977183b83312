import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { linearRegressor, paddedRegressor } from '../test-support/onnx-fixtures.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';

const LIMIT = 256 * 1024;

/** An upload that sends its first bytes and then waits, holding its place. */
function slowUpload(base: string, path: string): { req: ClientRequest; done: Promise<number> } {
  const url = new URL(path, base);
  let req!: ClientRequest;
  const done = new Promise<number>((resolve) => {
    req = httpRequest({ host: url.hostname, port: url.port, method: 'POST', path: url.pathname, headers: { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.write(Buffer.alloc(1024));
  });
  return { req, done };
}

const tmpFiles = (s: TestServer) => readdirSync(join(s.dataDir, 'models')).filter((n) => n.endsWith('.tmp'));

describe('uploads', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ overrides: { uploadLimitBytes: LIMIT, maxConcurrentUploads: 2 } });
  });
  after(() => s.close());

  it('are received two at a time; a third is told to retry, and nothing is left behind', async () => {
    const a = slowUpload(s.url, '/v1/models/wide/versions');
    const b = slowUpload(s.url, '/v1/models/wide/versions');
    // Both are being received once their temporary files exist.
    for (let i = 0; i < 200 && tmpFiles(s).length < 2; i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(tmpFiles(s).length, 2);
    const third = await s.request('POST', '/v1/models/wide/versions', linearRegressor());
    assert.equal(third.status, 503);
    assert.equal(third.json.error.code, 'too_many_uploads');
    a.req.destroy();
    b.req.destroy();
    await Promise.all([a.done, b.done]);
    for (let i = 0; i < 200 && tmpFiles(s).length > 0; i++) await new Promise((r) => setTimeout(r, 25));
    assert.deepEqual(tmpFiles(s), [], 'abandoned uploads leave no temporary files');
    const ok = await s.request('POST', '/v1/models/wide/versions', linearRegressor());
    assert.equal(ok.status, 201, JSON.stringify(ok.json));
  });

  it('over the upload limit get a 413 that names that limit, declared or not', async () => {
    const big = paddedRegressor(LIMIT / 2);
    const declared = await s.request('POST', '/v1/models/big/versions', big);
    assert.equal(declared.status, 413);
    assert.match(declared.json.error.message, new RegExp(`upload limit of ${LIMIT} bytes \\(COALMINE_UPLOAD_LIMIT\\)`));
    const chunked = await fetch(`${s.url}/v1/models/big/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Blob([big]).stream(),
      duplex: 'half',
    } as RequestInit);
    const body = (await chunked.json()) as { error: { code: string; message: string } };
    assert.equal(chunked.status, 413);
    assert.match(body.error.message, /upload limit of 262144 bytes/);
    assert.deepEqual(tmpFiles(s), []);
    assert.equal((await s.request('GET', '/v1/models/big')).status, 404, 'nothing was registered');
  });

  it('the same bytes twice are a 409 naming the version they already are', async () => {
    const first = await s.request('POST', '/v1/models/twice/versions', paddedRegressor(10));
    assert.equal(first.status, 201);
    const again = await s.request('POST', '/v1/models/twice/versions', paddedRegressor(10));
    assert.equal(again.status, 409);
    assert.match(again.json.error.message, /already version 1 of "twice".*coalmine --model twice deploy 1/);
    assert.equal((await s.request('GET', '/v1/models/twice')).json.versions.length, 1);
  });
});

/** A tiny file system of its own, so "the disk is full" is real and happens to nobody else. */
function smallDisk(bytes: number): { dir: string; release: () => void } | string {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  const dir = mkdtempSync(join(tmpdir(), 'coalmine-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir]);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    return `mount -t tmpfs failed: ${(err as Error).message.split('\n')[0]}`;
  }
  return { dir, release: () => (execFileSync('umount', [dir]), rmSync(dir, { recursive: true, force: true })) };
}

describe('a full disk', () => {
  const disk = smallDisk(4 * 1024 * 1024);
  if (typeof disk === 'string') {
    if (process.env.CI) throw new Error(`the full-disk tests must run in CI: ${disk}`);
    it.skip(`SKIPPED LOUDLY: the full-disk tests need a tmpfs (${disk})`, () => undefined);
    return;
  }
  after(() => disk.release());

  it('refuses an upload with 507, registers nothing, and leaves no partial file', async () => {
    const dataDir = join(disk.dir, 'data');
    mkdirSync(dataDir);
    const s = await startTestServer({ dataDir, keepDataDir: true });
    try {
      const before = (await s.request('GET', '/v1/models/churn')).json;
      // Fill the disk but for ~300 KB, then upload ~1 MB.
      const free = statfsSync(disk.dir).bavail * statfsSync(disk.dir).bsize;
      writeFileSync(join(disk.dir, 'filler'), Buffer.alloc(Math.max(0, free - 300 * 1024)));
      const r = await s.request('POST', '/v1/models/churn/versions', paddedRegressor(256 * 1024));
      assert.equal(r.status, 507, JSON.stringify(r.json));
      assert.equal(r.json.error.code, 'storage_full');
      assert.match(r.json.error.message, /disk is full.*nothing was registered/);
      assert.deepEqual(tmpFiles(s), []);
      const after = (await s.request('GET', '/v1/models/churn')).json;
      assert.equal(after.versions.length, before.versions.length);
      assert.equal((await s.request('POST', '/predict', { features: [0.5, 1.2, 0.8, 0.3, 1.1] })).status, 200, 'predictions still answer');
    } finally {
      await s.close();
      rmSync(join(disk.dir, 'filler'), { force: true });
    }
  });
});
