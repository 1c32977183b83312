import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { linearRegressor } from '../test-support/onnx-fixtures.js';
import { startTestServer } from '../test-support/test-server.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('ground-truth feedback', () => {
  it('joins a label that arrives after a restart to the variant and version that served it, once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'coalmine-feedback-'));
    dirs.push(dataDir);
    let s = await startTestServer({ dataDir, keepDataDir: true });
    const served = await s.request('POST', '/v1/models/churn/predict', { features: [0.5, 1.2, 0.8, 0.3, 1.1] }, { 'x-coalmine-variant': 'canary' });
    const batch = await s.request('POST', '/v1/models/churn/predict', { features: [[1, 1, 1, 1, 1], [2, 2, 2, 2, 2]] }, { 'x-coalmine-variant': 'stable' });
    await s.close();

    s = await startTestServer({ dataDir, keepDataDir: true });
    try {
      const one = await s.request('POST', '/v1/feedback', { request_id: served.json.request_id, label: served.json.prediction });
      assert.equal(one.status, 200, JSON.stringify(one.json));
      assert.deepEqual({ status: one.json.status, variant: one.json.variant, version: one.json.version, correct: one.json.correct }, { status: 'accepted', variant: 'canary', version: 2, correct: true });

      const dup = await s.request('POST', '/v1/feedback', { request_id: served.json.request_id, label: 0 });
      assert.equal(dup.status, 409);
      assert.equal(dup.json.error.code, 'duplicate_label');

      const items = await s.request('POST', '/v1/feedback', {
        items: [
          { request_id: batch.json.request_id, row: 1, label: true },
          { request_id: batch.json.request_id, row: 1, label: 1 },
          { request_id: batch.json.request_id, row: 7, label: 1 },
          { request_id: '018f0000-0000-7000-8000-000000000000', label: 1 },
          { request_id: 'not-a-request', label: 'churned' },
        ],
      });
      assert.equal(items.status, 200);
      assert.deepEqual(items.json.results.map((r: { status: string }) => r.status), ['accepted', 'duplicate', 'unknown', 'expired', 'unknown']);
      assert.equal(items.json.accepted, 1);
      assert.equal(items.json.rejected, 4);

      await s.app.flush();
      const m = (await s.request('GET', '/v1/models/churn/metrics')).json;
      assert.equal(m.variants.canary.forced_requests, 1, 'telemetry from before the restart is kept');
      assert.equal(m.variants.stable.forced_requests, 1);
      assert.equal(m.variants.canary.requests + m.variants.stable.requests, 0, 'forced requests are counted apart');
      const labelled = await s.app.telemetry.window('churn', { from: 0 });
      assert.equal(labelled.get('canary')!.forced.labelled, 1, 'the late label counts for the canary that served it, once');
      assert.equal(labelled.get('stable')!.forced.labelled, 1);
    } finally {
      await s.close();
    }
  });

  it('refuses malformed feedback with 400 and a regressor label that is not a number per item', async () => {
    const s = await startTestServer({ examples: false });
    try {
      await s.request('POST', '/v1/models/reg/versions', linearRegressor());
      const p = await s.request('POST', '/v1/models/reg/predict', { features: [1, 1] });
      const text = await s.request('POST', '/v1/feedback', { request_id: p.json.request_id, label: 'high' });
      assert.equal(text.status, 400);
      assert.equal(text.json.result.status, 'invalid');
      const ok = await s.request('POST', '/v1/feedback', { request_id: p.json.request_id, label: 5.5 });
      assert.equal(ok.json.status, 'accepted');
      for (const bad of [{}, { request_id: 'x' }, { items: [] }, { request_id: 'x', label: { a: 1 } }, [], 'nope']) {
        const r = await s.request('POST', '/v1/feedback', bad);
        assert.equal(r.status, 400, JSON.stringify(bad));
      }
      const inline = await s.request('POST', '/v1/models/reg/predict', { features: [1, 1], label: 'x' });
      assert.equal(inline.status, 400);
      assert.match(inline.json.error.message, /must be a finite number for a regressor/);
    } finally {
      await s.close();
    }
  });
});

describe('feedback rate limit', () => {
  it('counts labels per client; over the limit a batch is refused with Retry-After, and the next request before its body is read', async () => {
    const s = await startTestServer({ overrides: { feedbackRateLimitPerSecond: 100 } });
    try {
      const served = await s.request('POST', '/v1/models/churn/predict', { features: Array.from({ length: 100 }, () => [0.5, 1.2, 0.8, 0.3, 1.1]) });
      const items = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ request_id: served.json.request_id, row: from + i, label: 1 }));
      // The whole second's allowance at once: the next 60 are over it unless 0.6 s pass first,
      // which a busy machine does not take (60 first left it over only within 0.2 s).
      const first = await s.request('POST', '/v1/feedback', items(0, 100));
      assert.equal(first.status, 200);
      assert.equal(first.json.accepted, 100);
      const over = await fetch(`${s.url}/v1/feedback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(items(0, 60)) });
      assert.equal(over.status, 429);
      assert.ok(Number(over.headers.get('retry-after')) >= 1);
      assert.match(((await over.json()) as { error: { message: string } }).error.message, /more than 100 labels per second .*COALMINE_FEEDBACK_RATE_LIMIT/);
      const early = await s.request('POST', '/v1/feedback', items(0, 1));
      assert.equal(early.status, 429, 'still refused until the wait is over');
      const tooBig = await startTestServer({ overrides: { feedbackRateLimitPerSecond: 10 } });
      try {
        const r = await tooBig.request('POST', '/v1/feedback', items(0, 11));
        assert.equal(r.status, 429);
        assert.match(r.json.error.message, /11 labels in one request is more than the 10 per second/);
      } finally {
        await tooBig.close();
      }
      const m = (await s.request('GET', '/v1/models/churn/metrics?window=1h')).json;
      assert.equal(m.variants.stable.labelled + m.variants.canary.labelled, 100, 'refused labels were not counted');
    } finally {
      await s.close();
    }
  });
});
