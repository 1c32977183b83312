import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { DEFAULT_SETTINGS, requestIdTimePrefix, type PredictionLogEntry } from '../domain/index.js';
import { migratedDatabase, postgresUnavailable } from '../test-support/postgres-server.js';
import {
  openDatabase,
  PostgresPredictionLogStore,
  PostgresSettingsStore,
  PostgresTelemetryStore,
  SqlitePredictionLogStore,
  SqliteSettingsStore,
  SqliteTelemetryStore,
  WorkerPredictionLogStore,
  type BucketRow,
  type PredictionLogStore,
  type SettingsStore,
  type TelemetryStore,
} from './index.js';

/**
 * The contracts of the telemetry, settings and prediction-log ports, each run against every
 * implementation there is (the prediction log has two: the SQLite store and its writer thread);
 * a PostgreSQL implementation joins these lists and must pass the same cases.
 */
const dirs: string[] = [];
const closers: (() => Promise<void>)[] = [];
after(async () => {
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  await Promise.all(closers.map((c) => c()));
});
const noPostgres = postgresUnavailable();
const skipFor = (name: string) => ({ skip: name === 'postgres' ? (noPostgres ?? false) : false });
async function pg() {
  const db = await migratedDatabase();
  closers.push(db.close);
  return db.sql;
}
const newFile = () => {
  const d = mkdtempSync(join(tmpdir(), 'coalmine-contract-'));
  dirs.push(d);
  return join(d, 'coalmine.db');
};

const bucket = (bucketStart: number, writer: string, data: string, variant: 'stable' | 'canary' = 'stable'): BucketRow => ({ model: 'churn', bucketStart, variant, version: 1, revision: 3, forced: false, writer, data });

const telemetryStores: [string, () => TelemetryStore | Promise<TelemetryStore>][] = [
  ['sqlite', () => new SqliteTelemetryStore(openDatabase(newFile(), 'NORMAL'))],
  ['postgres', async () => new PostgresTelemetryStore(await pg())],
];

for (const [name, make] of telemetryStores) {
  describe(`TelemetryStore contract: ${name}`, skipFor(name), () => {
    it('upserts each writer its own row, reads a time range, and purges what is older', async () => {
      const s = await make();
      await s.writeBuckets([bucket(0, 'a', '{"v":1}'), bucket(0, 'b', '{"v":2}'), bucket(5000, 'a', '{"v":3}', 'canary')]);
      await s.writeBuckets([bucket(0, 'a', '{"v":10}')]);
      const rows = await s.readBuckets('churn', 0, 5000);
      assert.deepEqual(rows.map((r) => [r.bucketStart, r.writer, r.data]).sort(), [[0, 'a', '{"v":10}'], [0, 'b', '{"v":2}']], 'a rewrite replaces its own row only; the range end is exclusive');
      assert.deepEqual((await s.readBuckets('churn', 0, 10_000)).length, 3);
      assert.deepEqual(await s.readBuckets('fraud', 0, 10_000), []);
      assert.equal(await s.purgeBuckets(5000), 2);
      assert.deepEqual((await s.readBuckets('churn', 0, 10_000)).map((r) => r.bucketStart), [5000]);
    });
  });
}

const settingsStores: [string, () => SettingsStore | Promise<SettingsStore>][] = [
  ['sqlite', () => new SqliteSettingsStore(openDatabase(newFile()))],
  ['postgres', async () => new PostgresSettingsStore(await pg())],
];

for (const [name, make] of settingsStores) {
  describe(`SettingsStore contract: ${name}`, skipFor(name), () => {
    it('has nothing for a model until saved, then the last save', async () => {
      const s = await make();
      assert.equal(await s.get('churn'), undefined);
      await s.save('churn', DEFAULT_SETTINGS, '2026-01-01T00:00:00Z');
      const faults = { canary: { wrongRate: 0.4, delayMs: [0, 0] as const, errorRate: 0 } };
      await s.save('churn', { ...DEFAULT_SETTINGS, faults, metricsRevision: 7 }, '2026-01-01T00:00:01Z');
      assert.deepEqual(await s.get('churn'), { ...DEFAULT_SETTINGS, faults, metricsRevision: 7 });
      assert.equal(await s.get('fraud'), undefined);
    });
  });
}

const T0 = 1_700_000_000_000;
const idAt = (ms: number, n = 0) => `${requestIdTimePrefix(ms)}-7000-8000-${n.toString(16).padStart(12, '0')}`;
const entry = (ms: number, row = 0, label: number | null = null): PredictionLogEntry => ({
  requestId: idAt(ms), row, model: 'churn', variant: 'canary', version: 2, revision: 7, forced: false, createdAt: ms, prediction: 1, probability: 0.75, label, labelledAt: label === null ? null : ms,
});

const logStores: [string, () => { store: PredictionLogStore; close: () => Promise<void> } | Promise<{ store: PredictionLogStore; close: () => Promise<void> }>][] = [
  ['sqlite', () => ({ store: new SqlitePredictionLogStore(openDatabase(newFile(), 'NORMAL')), close: async () => undefined })],
  [
    'sqlite through the writer thread',
    () => {
      const file = newFile();
      const store = new WorkerPredictionLogStore(file, new SqlitePredictionLogStore(openDatabase(file, 'NORMAL')), pino({ level: 'silent' }));
      return { store, close: () => store.close() };
    },
  ],
  ['postgres', async () => ({ store: new PostgresPredictionLogStore(await pg()), close: async () => undefined })],
];

for (const [name, make] of logStores) {
  describe(`PredictionLogStore contract: ${name}`, skipFor(name), () => {
    it('finds what was appended (and nothing else), labels each row once, and purges by age then by count', async () => {
      const { store, close } = await make();
      try {
        await store.append([entry(T0), entry(T0, 1), entry(T0 + 50, 0, 1), entry(T0 + 60_000)]);
        const found = await store.find([{ requestId: idAt(T0), row: 1 }, { requestId: idAt(T0 + 50), row: 0 }, { requestId: idAt(T0 + 7), row: 0 }]);
        assert.deepEqual(found.map((e) => [e.requestId, e.row, e.label]).sort(), [[idAt(T0), 1, null], [idAt(T0 + 50), 0, 1]].sort());
        const labelled = await store.setLabels([
          { requestId: idAt(T0), row: 0, label: 1, at: T0 + 1 },
          { requestId: idAt(T0), row: 0, label: 0, at: T0 + 2 },
          { requestId: idAt(T0 + 50), row: 0, label: 0, at: T0 + 3 },
        ]);
        assert.deepEqual(labelled.map((k) => ({ requestId: k.requestId, row: k.row })), [{ requestId: idAt(T0), row: 0 }], 'a row is labelled once; one that came with its label is not relabelled');
        assert.equal((await store.find([{ requestId: idAt(T0), row: 0 }]))[0]!.label, 1);
        await store.purge(T0 + 30_000, 1_000_000);
        assert.deepEqual((await store.find([entry(T0), entry(T0, 1), entry(T0 + 50), entry(T0 + 60_000)])).map((e) => e.createdAt), [T0 + 60_000]);
      } finally {
        await close();
      }
    });
  });
}
