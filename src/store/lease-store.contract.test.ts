import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { migratedDatabase, postgresUnavailable } from '../test-support/postgres-server.js';
import { PostgresLeaseStore } from './index.js';

const closers: (() => Promise<void>)[] = [];
after(async () => {
  await Promise.all(closers.map((c) => c()));
});
const noPostgres = postgresUnavailable();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('LeaseStore contract: postgres', { skip: noPostgres ?? false }, () => {
  it('has one holder at a time: renewed by its holder, taken by another only once expired or released', async () => {
    const db = await migratedDatabase();
    closers.push(db.close);
    const s = new PostgresLeaseStore(db.sql);
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
    const db = await migratedDatabase();
    closers.push(db.close);
    const s = new PostgresLeaseStore(db.sql);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => s.acquire('race', `r${i}`, 5000)));
    assert.equal(results.filter(Boolean).length, 1);
  });
});
