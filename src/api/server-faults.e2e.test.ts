import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../test-support/test-server.js';

describe('a fault of the server is not reported as the client\'s', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  it('damaged telemetry in the store is a 500 internal (and logged), not a 400 malformed_json', async () => {
    const db = new Database(join(s.dataDir, 'coalmine.db'));
    try {
      db.prepare("INSERT INTO telemetry_buckets (model, bucket_start, variant, version, revision, forced, writer, data) VALUES ('churn', ?, 'stable', 1, 1, 0, 'damaged', '{not json')").run(Date.now() - 3_600_000);
    } finally {
      db.close();
    }
    const r = await s.request('GET', '/v1/models/churn/metrics?window=1d');
    assert.equal(r.status, 500, JSON.stringify(r.json));
    assert.equal(r.json.error.code, 'internal');
    const bad = await s.request('POST', '/v1/models/churn/predict', '{"features": [1,');
    assert.equal(bad.status, 400, 'a broken request body is still the client\'s');
    assert.equal(bad.json.error.code, 'malformed_json');
  });
});
