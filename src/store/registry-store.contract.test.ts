import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { ModelSignature } from '../domain/index.js';
import { migratedDatabase, postgresUnavailable } from '../test-support/postgres-server.js';
import { MemoryRegistryStore, openDatabase, PostgresRegistryStore, SqliteRegistryStore, type NewVersion, type RegistryStore } from './index.js';

const signature: ModelSignature = {
  task: 'binary_classifier',
  inputs: [
    { name: 'tenure', type: 'float32', rank: 2, width: 1 },
    { name: 'plan', type: 'string', rank: 2, width: 1 },
  ],
  outputs: { probabilities: 'p' },
  classCount: 2,
  classLabels: null,
  opsets: { 'ai.onnx': 17 },
  producer: 'test',
  rewrites: [],
};

const version = (model: string, at = '2026-01-01T00:00:00.000Z'): NewVersion => ({
  model,
  createdAt: at,
  origin: 'test',
  description: 'd',
  signature,
  metrics: { accuracy: 0.9 },
  source: { kind: 'onnx', artifact: `${model}-x.onnx`, sha256: 'abc', sizeBytes: 10 },
});

const dirs: string[] = [];
const closers: (() => Promise<void>)[] = [];
after(async () => {
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  await Promise.all(closers.map((c) => c()));
});

const noPostgres = postgresUnavailable();

const implementations: Record<string, () => RegistryStore | Promise<RegistryStore>> = {
  memory: () => new MemoryRegistryStore(),
  sqlite: () => {
    const dir = mkdtempSync(join(tmpdir(), 'coalmine-store-'));
    dirs.push(dir);
    return new SqliteRegistryStore(openDatabase(join(dir, 'coalmine.db')));
  },
  postgres: async () => {
    const db = await migratedDatabase();
    closers.push(db.close);
    return new PostgresRegistryStore(db.sql);
  },
};

for (const [name, make] of Object.entries(implementations)) {
  describe(`RegistryStore contract: ${name}`, { skip: name === 'postgres' ? (noPostgres ?? false) : false }, () => {
    it('numbers versions per model and makes the first one stable', async () => {
      const store = await make();
      await store.addVersion(version('a'));
      const a2 = await store.addVersion(version('a'));
      const b1 = await store.addVersion(version('b'));
      assert.deepEqual(a2.versions.map((v) => v.version), [1, 2]);
      assert.equal(a2.routing.stableVersion, 1);
      assert.equal(a2.routing.canaryVersion, null);
      assert.equal(b1.versions[0]!.version, 1);
      assert.deepEqual((await store.listModels()).map((m) => m.name), ['a', 'b']);
      assert.deepEqual(a2.versions[1]!.signature, signature);
      assert.deepEqual(a2.versions[1]!.metrics, { accuracy: 0.9 });
    });

    it('keeps each version\'s source: an ONNX file, or a model server', async () => {
      const store = await make();
      await store.addVersion(version('g'));
      const upstream = { kind: 'open-inference', url: 'http://127.0.0.1:8000/v2/models/churn' } as const;
      const g = await store.addVersion({ ...version('g'), origin: upstream.url, source: upstream });
      assert.deepEqual(g.versions[0]!.source, { kind: 'onnx', artifact: 'g-x.onnx', sha256: 'abc', sizeBytes: 10 });
      assert.deepEqual(g.versions[1]!.source, upstream);
      assert.equal(g.versions[1]!.origin, upstream.url);
      assert.deepEqual((await store.getModel('g'))!.versions[1]!.source, upstream);
    });

    it("keeps a version's endpoint, and none for a version registered without one", async () => {
      const store = await make();
      await store.addVersion(version('e'));
      await store.addVersion({ ...version('e'), endpoint: 'churn-v2:8080' });
      const e = (await store.getModel('e'))!;
      assert.equal(e.versions[0]!.endpoint, undefined);
      assert.equal(e.versions[1]!.endpoint, 'churn-v2:8080');
    });

    it('saves routing with a revision check and logs every change', async () => {
      const store = await make();
      const model = await store.addVersion(version('m'));
      await store.addVersion(version('m'));
      const change = { ...model.routing, canaryVersion: 2, canaryWeightBp: 1050 };
      const saved = await store.saveRouting('m', change, model.routing.revision, { action: 'deploy', reason: 'r1', at: 't1' });
      assert.equal(saved.revision, model.routing.revision + 1);
      assert.equal(saved.canaryWeightBp, 1050);
      await assert.rejects(
        store.saveRouting('m', change, model.routing.revision, { action: 'set_weight', reason: 'stale', at: 't2' }),
        (err: Error & { code?: string }) => err.code === 'conflict',
      );
      const events = await store.events('m', 10);
      assert.deepEqual(events.map((e) => e.action), ['deploy', 'register']);
      assert.equal(events[0]!.routing.canaryVersion, 2);
      assert.equal((await store.getModel('m'))!.routing.canaryWeightBp, 1050);
    });

    it('refuses routing for an unknown model', async () => {
      const store = await make();
      await assert.rejects(
        store.saveRouting('nope', { stableVersion: 1, canaryVersion: null, canaryWeightBp: 0, previousStableVersion: null, lastCanaryVersion: null, shadow: null }, 1, {
          action: 'reset',
          reason: '',
          at: 't',
        }),
        (err: Error & { code?: string }) => err.code === 'model_not_found',
      );
      assert.equal(await store.getModel('nope'), undefined);
    });
  });
}

describe('SQLite store durability', () => {
  it('reads a signature saved before inputs were a list as one float input', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coalmine-store-'));
    dirs.push(dir);
    const db = openDatabase(join(dir, 'old.db'));
    const store = new SqliteRegistryStore(db);
    await store.addVersion(version('old'));
    const { inputs: _inputs, ...rest } = signature;
    db.prepare('UPDATE versions SET signature_json = ?').run(JSON.stringify({ ...rest, inputName: 'float_input', inputType: 'float32', featureCount: 5 }));
    const read = (await store.getModel('old'))!.versions[0]!.signature;
    assert.deepEqual(read.inputs, [{ name: 'float_input', type: 'float32', rank: 2, width: 5 }]);
    assert.equal('inputName' in read, false);
  });

  it('keeps routing across a reopen of the same file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coalmine-store-'));
    dirs.push(dir);
    const file = join(dir, 'c.db');
    const db = openDatabase(file);
    const store = new SqliteRegistryStore(db);
    const m = await store.addVersion(version('m'));
    await store.addVersion(version('m'));
    await store.saveRouting('m', { ...m.routing, canaryVersion: 2, canaryWeightBp: 2000 }, 1, { action: 'deploy', reason: '', at: 't' });
    db.close();
    const reopened = new SqliteRegistryStore(openDatabase(file));
    const again = await reopened.getModel('m');
    assert.equal(again!.routing.canaryVersion, 2);
    assert.equal(again!.routing.canaryWeightBp, 2000);
    assert.equal(again!.routing.revision, 2);
  });
});
