import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migratedDatabase, postgresUnavailable } from '../test-support/postgres-server.js';
import { openDatabase, PostgresLeaseStore, SqliteLeaseStore, type LeaseStore } from './index.js';

const closers: (() => Promise<void>)[] = [];
const dirs: string[] = [];
after(async () => {
  await Promise.all(closers.map((c) => c()));
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});
const noPostgres = postgresUnavailable();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const implementations: [string, () => Promise<LeaseStore>][] = [
  [
    'sqlite',
    async () => {
      const d = mkdtempSync(join(tmpdir(), 'coalmine-lease-'));
      dirs.push(d);
      return new SqliteLeaseStore(openDatabase(join(d, 'coalmine.db')));
    },
  ],
  [
    'postgres',
    async () => {
      const db = await migratedDatabase();
      closers.push(db.close);
      return new PostgresLeaseStore(db.sql);
    },
  ],
];

for (const [name, make] of implementations) describe(`LeaseStore contract: ${name}`, { skip: name === 'postgres' ? (noPostgres ?? false) : false }, () => {
  it('has one holder at a time: renewed by its holder, taken by another only once expired or released', async () => {
    const s = await make();
    assert.equal(await s.acquire('ctl', 'a', 300), true, 'a free lease is taken');
    assert.equal(await s.acquire('ctl', 'b', 300), false, 'a held lease is not');
    assert.equal(await s.acquire('ctl', 'a', 300), true, 'its holder renews it');
    assert.equal(await s.acquire('other', 'b', 300), true, 'leases are separate by name');
    await sleep(450);
    assert.equal(await s.acquire('ctl', 'b', 300), true, 'an expired lease goes to the next taker');
    assert.equal(await s.acquire('ctl', 'a', 300), false, 'and its old holder cannot renew it');
    await s.release('ctl', 'a');
    assert.equal(await s.acquire('ctl', 'a', 300), false, 'only the holder can release it');
    await s.release('ctl', 'b');
    assert.equal(await s.acquire('ctl', 'a', 300), true, 'a released lease is free at once');
  });

  it('gives a lease to exactly one of several replicas asking at once', async () => {
    const s = await make();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => s.acquire('race', `r${i}`, 5000)));
    assert.equal(results.filter(Boolean).length, 1);
  });
});
