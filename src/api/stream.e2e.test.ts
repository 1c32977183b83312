import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { churnRows } from '../examples/index.js';
import { startTestServer } from '../test-support/test-server.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Reads server-sent events from a real connection until `until` is satisfied (or the time runs out). */
async function readEvents(url: string, until: (events: SseEvent[]) => boolean, timeoutMs = 8000, onOpen?: () => Promise<void>): Promise<SseEvent[]> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  const res = await fetch(url, { signal: ac.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  const opened = onOpen?.();
  try {
    for await (const chunk of res.body!) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.+)$/m.exec(block)?.[1];
        const data = /^data: (.+)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
      }
      if (until(events)) break;
    }
  } catch (err) {
    if (!ac.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
    ac.abort();
    await opened;
  }
  return events;
}

describe('live stream, series and the dashboard files', () => {
  it('pushes hello, chart points and changes as they are saved', async () => {
    const s = await startTestServer({ overrides: { streamTickMs: 200 } });
    try {
      const rows = churnRows(40, 7);
      for (const r of rows) await s.request('POST', '/v1/models/churn/predict', { features: r.features, label: r.label });
      const events = await readEvents(
        `${s.url}/v1/stream`,
        (ev) => ev.some((e) => e.event === 'model' && JSON.stringify(e.data.faults).includes('0.4')) && ev.some((e) => e.event === 'analysis') && ev.filter((e) => e.event === 'points').length >= 2,
        8000,
        async () => {
          await new Promise((r) => setTimeout(r, 300));
          assert.equal((await s.request('PUT', '/v1/models/churn/traffic', { canary_weight: 35 })).status, 200);
          assert.equal((await s.request('POST', '/v1/models/churn/faults', { variant: 'canary', wrong: 0.4 })).status, 200);
        },
      );
      assert.equal(events[0]!.event, 'hello');
      assert.equal(events[0]!.data.bucket_ms, 5000);
      const points = events.find((e) => e.event === 'points')!.data as { model: string; points: { variant: string; requests: number; labelled: number }[] };
      assert.equal(points.model, 'churn');
      const served = points.points.reduce((n, p) => n + p.requests, 0);
      assert.equal(served, 40, 'the latest buckets hold every request just served');
      assert.equal(points.points.reduce((n, p) => n + p.labelled, 0), 40);
      assert.ok(events.some((e) => e.event === 'model' && e.data.canary_weight === 35), 'the weight change was pushed');
      assert.deepEqual(events.findLast((e) => e.event === 'model')!.data.faults, { canary: { wrong: 0.4, delay_ms: 0, errors: 0 } }, 'the fault change was pushed');
      assert.ok(events.some((e) => e.event === 'analysis' && e.data.model === 'churn'), 'the analysis of a model with a canary is pushed');
    } finally {
      await s.close();
    }
  });

  it('pushes rollout decisions, refuses streams beyond the limit and ends streams on close', async () => {
    const s = await startTestServer({ overrides: { streamTickMs: 200, maxStreams: 1 } });
    let closed = false;
    try {
      const events = await readEvents(
        `${s.url}/v1/stream`,
        (ev) => ev.some((e) => e.event === 'rollout' && e.data.phase === 'paused'),
        8000,
        async () => {
          await new Promise((r) => setTimeout(r, 200));
          const second = await s.request('GET', '/v1/stream');
          assert.equal(second.status, 503);
          assert.equal(second.json.error.code, 'too_many_streams');
          assert.equal((await s.request('POST', '/v1/models/churn/rollout', { canary: 2, steps: [10, 50], interval: '1h' })).status, 201);
          assert.equal((await s.request('POST', '/v1/models/churn/rollout/pause')).status, 200);
        },
      );
      const rollouts = events.filter((e) => e.event === 'rollout');
      assert.equal(rollouts.at(-1)!.data.phase, 'paused');
      assert.ok(rollouts.some((e) => (e.data.last_decision as { action: string } | null)?.action === 'start'));

      // A stream open while the server shuts down is ended, so close() does not wait for it.
      const res = await fetch(`${s.url}/v1/stream`);
      const reader = res.body!.getReader();
      await reader.read();
      const started = Date.now();
      await s.close();
      closed = true;
      while (!(await reader.read()).done);
      assert.ok(Date.now() - started < 5000, 'close() ended the open stream');
    } finally {
      if (!closed) await s.close();
    }
  });

  it('serves chart series and refuses windows it cannot serve', async () => {
    const s = await startTestServer();
    try {
      for (const r of churnRows(30, 3)) await s.request('POST', '/predict', { features: r.features });
      const series = await s.request('GET', '/v1/models/churn/metrics/series?window=5m');
      assert.equal(series.status, 200);
      assert.equal(series.json.step_ms, 5000);
      assert.equal(series.json.points.reduce((n: number, p: { requests: number }) => n + p.requests, 0), 30);
      const p = series.json.points[0];
      assert.ok(p.rps > 0 && typeof p.latency_ms.p95 === 'number');
      assert.equal((await s.request('GET', '/v1/models/churn/metrics/series?window=2h&step=1m')).json.step_ms, 60_000);
      for (const [query, text] of [
        ['window=soon', /30s, 5m/],
        ['window=2d', /limited to 24h/],
        ['step=3s', /multiple of the telemetry bucket/],
        ['window=24h&step=5s', /more than 5000 points/],
        ['since=2999-01-01T00:00:00Z', /start in the past/],
        ['bogus=1', /must NOT have additional properties|bogus/],
      ] as const) {
        const bad = await s.request('GET', `/v1/models/churn/metrics/series?${query}`);
        assert.equal(bad.status, 400, query);
        assert.match(bad.json.error.message, text, query);
      }
      assert.equal((await s.request('GET', '/v1/models/nope/metrics/series')).json.error.code, 'model_not_found');
      const info = await s.request('GET', '/v1/info');
      assert.deepEqual(info.json.thresholds, { accuracy_pct: 85, latency_p95_ms: 100 });
    } finally {
      await s.close();
    }
  });

  it('serves the built dashboard at / and explains when it is not built', async () => {
    const built = mkdtempSync(join(tmpdir(), 'coalmine-dash-'));
    dirs.push(built);
    writeFileSync(join(built, 'index.html'), '<!doctype html><title>coalmine</title><script type="module" src="/app.js"></script>');
    writeFileSync(join(built, 'app.js'), 'console.log(1)');
    const s = await startTestServer({ overrides: { dashboardDir: built } });
    try {
      const page = await fetch(`${s.url}/`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
      assert.match(await page.text(), /app\.js/);
      const js = await fetch(`${s.url}/app.js`);
      assert.match(js.headers.get('content-type') ?? '', /javascript/);
      const missing = await s.request('GET', '/nothing-here.js');
      assert.equal(missing.status, 404);
      assert.equal(missing.json.error.code, 'route_not_found', 'unknown paths keep the API error shape');
    } finally {
      await s.close();
    }
    const none = await startTestServer({ overrides: { dashboardDir: join(built, 'absent') } });
    try {
      const page = await fetch(`${none.url}/`);
      assert.equal(page.status, 503);
      assert.match(await page.text(), /npm run build/);
    } finally {
      await none.close();
    }
  });
});
