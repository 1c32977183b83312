import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { MetricsSpec } from '../../domain/index.js';
import { BucketHistogram } from './bucket-histogram.js';
import { PrometheusClient } from './prometheus-client.js';
import { PrometheusProvider } from './prometheus-provider.js';
import { PRESETS, renderQuery, unknownVariables } from './promql-presets.js';

describe('PromQL templates', () => {
  const vars = { model: 'churn', version: '2', variant: 'canary', server: 'canary', address: '10.0.0.8:8001', backend: 'model', interval: '4312ms' } as const;
  it('fill in every variable, escaping label values', () => {
    assert.equal(renderQuery(PRESETS.haproxy.errors!, vars), 'sum(increase(haproxy_server_http_responses_total{proxy="model",server="canary",code="5xx"}[4312ms]))');
    assert.equal(renderQuery('x{a="{{server}}"}', { ...vars, server: 'we"ird\\' }), 'x{a="we\\"ird\\\\"}');
  });
  it('name the variables they do not know', () => {
    assert.deepEqual(unknownVariables('rate(x{pod="{{pod}}"}[{{interval}}]) + {{ model }}'), ['pod']);
  });
});

describe('histogram buckets', () => {
  // 100 observations: 50 in (0, 0.1], 40 in (0.1, 0.2], 10 in (0.2, 0.5].
  const h = new BucketHistogram([
    { le: 0.1, count: 50 },
    { le: 0.2, count: 90 },
    { le: 0.5, count: 100 },
    { le: Infinity, count: 100 },
  ]);
  it('give quantiles as histogram_quantile interpolates them', () => {
    assert.equal(h.count, 100);
    assert.ok(Math.abs(h.quantile(0.5) - 0.1) < 1e-12);
    assert.ok(Math.abs(h.quantile(0.7) - 0.15) < 1e-12, 'halfway through the second bucket');
    assert.ok(Math.abs(h.quantile(0.95) - 0.35) < 1e-12);
  });
  it('give the exact mean from sum and count, and the spread from bucket midpoints', () => {
    const m = h.moments(12, 100)!;
    assert.equal(m.n, 100);
    assert.equal(m.mean, 0.12);
    // Midpoints 0.05 ×50, 0.15 ×40, 0.35 ×10 around 0.12.
    const m2 = 50 * 0.07 ** 2 + 40 * 0.03 ** 2 + 10 * 0.23 ** 2;
    assert.ok(Math.abs(m.m2 - m2) < 1e-9, `${m.m2} vs ${m2}`);
  });
  it('survive counts that increase() made a hair non-monotonic, and an empty window', () => {
    const wobbly = new BucketHistogram([{ le: 0.1, count: 10.2 }, { le: 0.2, count: 10.1 }, { le: Infinity, count: 12 }]);
    assert.equal(wobbly.count, 12);
    assert.ok(wobbly.quantile(0.5) <= 0.1);
    const empty = new BucketHistogram([{ le: 0.1, count: 0 }, { le: Infinity, count: 0 }]);
    assert.equal(empty.count, 0);
    assert.equal(empty.moments(null, null), null);
  });
});

/** A stand-in for Prometheus' query API answering from a table of recorded answers, for the client and provider's own logic. */
let server: Server;
let url = '';
const answers = new Map<string, unknown>();
let seen: string[] = [];
before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const q = new URLSearchParams(body).get('query') ?? '';
      seen.push(q);
      const a = [...answers.entries()].find(([k]) => q.includes(k))?.[1];
      if (a === 'hang') return;
      if (a === 'garbage') return res.end('<html>proxy error</html>');
      res.writeHead(a && (a as { status?: string }).status === 'error' ? 400 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(a ?? { status: 'success', data: { resultType: 'vector', result: [] } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});
const vector = (...values: [Record<string, string>, number][]) => ({ status: 'success', data: { resultType: 'vector', result: values.map(([metric, v]) => ({ metric, value: [1, String(v)] })) } });

describe('Prometheus client', () => {
  it('reads vectors and scalars, and turns every failure into a value with the reason', async () => {
    const c = new PrometheusClient(url, 300);
    answers.set('vec', vector([{ server: 'a' }, 3], [{ server: 'b' }, 4]));
    answers.set('scal', { status: 'success', data: { resultType: 'scalar', result: [1, '7'] } });
    answers.set('bad', { status: 'error', errorType: 'bad_data', error: 'parse error at char 4' });
    answers.set('mat', { status: 'success', data: { resultType: 'matrix', result: [] } });
    answers.set('slow', 'hang');
    answers.set('html', 'garbage');
    assert.deepEqual(await c.query('vec', 0), { ok: true, series: [{ labels: { server: 'a' }, value: 3 }, { labels: { server: 'b' }, value: 4 }] });
    assert.deepEqual(await c.query('scal', 0), { ok: true, series: [{ labels: {}, value: 7 }] });
    assert.match(((await c.query('bad', 0)) as { error: string }).error, /refused the query \(bad_data\): parse error/);
    assert.match(((await c.query('mat', 0)) as { error: string }).error, /matrix result.*increase/);
    assert.match(((await c.query('slow', 0)) as { error: string }).error, /did not answer/);
    assert.match(((await c.query('html', 0)) as { error: string }).error, /other than JSON/);
    assert.match(((await new PrometheusClient('http://127.0.0.1:9', 300).query('x', 0)) as { error: string }).error, /did not answer/);
  });
});

describe('Prometheus provider', () => {
  const spec = (over: Partial<MetricsSpec> = {}): MetricsSpec => ({ provider: 'prometheus', url, preset: 'haproxy', queries: {}, latencyUnit: 's', errorLimit: 4, timeoutMs: 500, ...over });
  const targets = {
    stable: { version: 1, server: 'stable', address: '10.0.0.7:8001', backend: 'model' },
    canary: { version: 2, server: 'canary', address: '10.0.0.8:8001', backend: 'model' },
  };
  it('reads both variants, with the rendered queries as evidence', async () => {
    answers.clear();
    seen = [];
    answers.set('server="stable",code="5xx"', vector([{}, 0.4]));
    answers.set('server="canary",code="5xx"', vector([{}, 29.7]));
    answers.set('responses_total{proxy="model",server="stable"}', vector([{}, 399.6]));
    answers.set('responses_total{proxy="model",server="canary"}', vector([{}, 100.2]));
    answers.set('time_average_seconds{proxy="model",server="stable"}', vector([{}, 0.012]));
    answers.set('time_average_seconds{proxy="model",server="canary"}', vector([{}, 0.02]));
    const m = await new PrometheusProvider(spec(), 'churn').measure({ from: 0, to: 4312 }, targets);
    assert.ok(m.ok);
    assert.deepEqual([m.pair.stable.requests, m.pair.stable.errors, m.pair.canary.requests, m.pair.canary.errors], [400, 0, 100, 30], 'counts rounded to whole requests');
    assert.deepEqual(m.pair.canary.samples.errors, { proportion: { successes: 30, trials: 100 } });
    assert.deepEqual(m.pair.canary.samples.latency, { mean: { value: 20, n: 100 } }, 'a mean in ms without spread');
    assert.match(m.queries.requests!.canary, /\[4312ms\]/);
    assert.deepEqual(m.missing, []);
    assert.equal(seen.length, 6, 'three queries per variant');
  });
  it('reports a query without series as missing, never as 0', async () => {
    answers.clear();
    answers.set('server="stable"}', vector([{}, 400]));
    const m = await new PrometheusProvider(spec({ preset: null, queries: { requests: 'sum(increase(x{server="{{server}}"}[{{interval}}]))' } }), 'churn').measure({ from: 0, to: 5000 }, targets);
    assert.ok(m.ok);
    assert.equal(m.pair.canary.requests, 0);
    assert.deepEqual(m.pair.canary.samples.errors, {});
    assert.deepEqual(m.missing, [{ variant: 'canary', query: 'requests' }]);
  });
  it('fails the whole measurement on one failed query, naming it', async () => {
    answers.clear();
    answers.set('code="5xx"', { status: 'error', errorType: 'execution', error: 'query timed out' });
    const m = await new PrometheusProvider(spec(), 'churn').measure({ from: 0, to: 5000 }, targets);
    assert.equal(m.ok, false);
    assert.ok(!m.ok && /query timed out/.test(m.error) && /code="5xx"/.test(m.query));
  });
  it('reads a histogram preset as quantiles and moments', async () => {
    answers.clear();
    const buckets = vector([{ le: '0.05' }, 60], [{ le: '0.1' }, 90], [{ le: '+Inf' }, 100]);
    answers.set('duration_seconds_bucket', buckets);
    answers.set('duration_seconds_sum', vector([{}, 5]));
    answers.set('duration_seconds_count', vector([{}, 100]));
    answers.set('model_infer_request_success', vector([{}, 100]));
    const p = new PrometheusProvider(spec({ preset: 'mlserver' }), 'churn');
    assert.equal(p.latencyForm, 'distribution');
    const m = await p.measure({ from: 0, to: 5000 }, targets);
    assert.ok(m.ok);
    assert.equal(m.pair.stable.latencyMs.mean, 50, 'the mean from sum/count, in ms');
    assert.ok(Math.abs(m.pair.stable.latencyMs.p50! - (50 * 50) / 60) < 1e-9, 'p50 interpolated in the first bucket, in ms');
    assert.equal(m.pair.stable.samples.latency.sketch!.count, 100);
  });
});
