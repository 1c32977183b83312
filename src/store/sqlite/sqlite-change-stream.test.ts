import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { StoreChange } from '../change-stream.js';
import { SqliteRegistryStore } from './sqlite-registry-store.js';
import { SqliteSettingsStore } from './sqlite-telemetry-store.js';
import { SqliteChangeStream } from './sqlite-change-stream.js';
import { openDatabase } from './sqlite-database.js';
import { DEFAULT_SETTINGS, type ModelSignature } from '../../domain/index.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const signature = { task: 'regressor', inputs: [{ name: 'x', type: 'float32', rank: 2, width: 1 }], outputs: { value: 'y' }, classCount: null, classLabels: null, opsets: {}, producer: 't', rewrites: [] } as ModelSignature;

describe('SQLite change stream (serve --workers)', () => {
  it("delivers, in order, what another connection to the file committed, and nothing of a write that failed", async () => {
    const d = mkdtempSync(join(tmpdir(), 'coalmine-changes-'));
    dirs.push(d);
    const file = join(d, 'coalmine.db');
    const writer = openDatabase(file);
    const registry = new SqliteRegistryStore(writer);
    const settings = new SqliteSettingsStore(writer);
    await registry.addVersion({ model: 'm', createdAt: 't', origin: 'o', description: '', signature, metrics: {}, source: { kind: 'onnx', artifact: 'a', sha256: 's', sizeBytes: 1 } });
    const stream = new SqliteChangeStream(openDatabase(file), 5);
    const seen: StoreChange[] = [];
    await stream.start((c) => seen.push(c));
    try {
      await registry.addVersion({ model: 'm', createdAt: 't', origin: 'o', description: '', signature, metrics: {}, source: { kind: 'onnx', artifact: 'b', sha256: 's2', sizeBytes: 1 } });
      const m = (await registry.getModel('m'))!;
      await registry.saveRouting('m', { ...m.routing, canaryVersion: 2, canaryWeightBp: 500 }, m.routing.revision, { action: 'deploy', reason: '', at: 't' });
      await assert.rejects(registry.saveRouting('m', { ...m.routing, canaryWeightBp: 900 }, m.routing.revision, { action: 'set_weight', reason: '', at: 't' }));
      await settings.save('m', DEFAULT_SETTINGS, 't');
      for (let i = 0; seen.length < 3 && i < 200; i++) await sleep(5);
      await sleep(30);
      assert.deepEqual(seen, [
        { kind: 'version', model: 'm', version: 2 },
        { kind: 'routing', model: 'm', revision: 2 },
        { kind: 'settings', model: 'm' },
      ], 'the change before the stream started is not replayed, and the conflicting save left nothing');
    } finally {
      await stream.close();
    }
  });
});
