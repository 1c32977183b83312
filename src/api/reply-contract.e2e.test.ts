import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { churnRows } from '../examples/index.js';
import { linearRegressor } from '../test-support/onnx-fixtures.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { decisionView } from '../rollout/index.js';
import * as R from './reply-schemas.js';
import { emptyVariantMetrics } from '../metrics/index.js';
import { variantView } from './metrics-views.js';
import { modelView, rolloutView, versionView } from './views.js';

/**
 * The routes that answer without a reply schema: `/` is the dashboard's page (its other files are
 * matched by their extensions below). `/metrics` and the stream declare theirs per media type.
 */
const NO_SCHEMA = new Set(['GET /']);

function check(schema: TSchema, value: unknown, what: string): void {
  const errors = [...Value.Errors(schema, value)].slice(0, 5).map((e) => `${e.instancePath || '(root)'} ${e.message}`);
  assert.deepEqual(errors, [], `${what} does not match its reply schema`);
}

describe('reply contract', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  it('every route declares a reply schema, except the listed ones', () => {
    const routes = s.app.http.routeAccess.filter((r) => r.method !== 'HEAD');
    const missing = routes.filter((r) => !r.replySchema).map((r) => `${r.method} ${r.url}`).filter((r) => !/\.(js|css|map|svg|html|txt)$|favicon|LICENSE/.test(r));
    assert.deepEqual(missing.filter((r) => !NO_SCHEMA.has(r)), [], 'routes without a reply schema that are not listed');
    assert.deepEqual([...NO_SCHEMA].filter((r) => !missing.includes(r)), [], 'listed routes that have a schema now (or are gone): take them off the list');
  });

  it('real replies match their schemas exactly: no field missing, none extra', async () => {
    const get = async (path: string, schema: TSchema, status = 200) => {
      const r = await s.request('GET', path);
      assert.equal(r.status, status, `GET ${path}: ${JSON.stringify(r.json)}`);
      check(schema, r.json, `GET ${path}`);
      return r.json;
    };
    const send = async (method: string, path: string, body: unknown, schema: TSchema, status = 200) => {
      const r = await s.request(method, path, body);
      assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.json)}`);
      check(schema, r.json, `${method} ${path}`);
      return r.json;
    };
    await get('/healthz', R.Health);
    await get('/readyz', R.Readiness);
    await get('/v1/info', R.Info);
    await get('/v1/models', R.ModelList);
    await get('/v1/models/churn', R.ModelView);
    await get('/v1/models/churn/versions/2', R.VersionView);
    await get('/v1/models/churn/events', R.EventList);
    await send('POST', '/v1/models/reg/versions', linearRegressor(), R.RegisteredVersion, 201);
    await send('PUT', '/v1/models/churn/traffic', { canary_weight: 30 }, R.ModelView);
    await send('POST', '/v1/models/churn/faults', { variant: 'canary', delay_ms: [1, 2] }, R.ModelFaults);
    await get('/v1/models/churn/faults', R.ModelFaults);
    await send('POST', '/v1/models/churn/faults', { clear: true }, R.ModelFaults);
    await send('POST', '/v1/models/churn/rollback', { reason: 'contract' }, R.ModelView);
    await send('POST', '/v1/models/churn/reset', undefined, R.ModelView);
    await send('POST', '/v1/models/churn/deploy', { version: 2, weight: 10 }, R.ModelView);
    await send('POST', '/v1/models/churn/rollout', { canary: 2, steps: [10, 50], interval: '1h', webhooks: ['http://127.0.0.1:9/hook'] }, R.RolloutView, 201);
    // Traffic and an analysis, so decisions carry verdicts with evidence.
    for (const r of churnRows(300, 3)) await s.request('POST', '/v1/models/churn/predict', { features: r.features, label: r.label });
    const rollout = await s.app.rollouts.get('churn');
    const result = await s.app.rollouts.analyze(rollout);
    assert.ok(!('measurementError' in result), 'coalmine reads its own telemetry without measurement errors');
    await s.app.rollouts.dispatch('churn', { type: 'analysis', at: Date.now(), result });
    const history = await get('/v1/models/churn/rollout/history', R.RolloutHistory);
    assert.ok(history.decisions.some((d: { analysis?: { verdicts: unknown[] } }) => (d.analysis?.verdicts.length ?? 0) > 0), 'a decision with verdicts was checked');
    await get('/v1/models/churn/rollout', R.RolloutView);
    await get('/v1/models/churn/metrics', R.MetricsReply);
    const lab = await s.request('GET', '/metrics', undefined, { accept: 'application/json' });
    check(R.LabMetrics, lab.json, 'GET /metrics (JSON)');
    await get('/v1/models/churn/metrics?window=1h', R.MetricsReply);
    await get('/v1/models/churn/analysis', R.AnalysisReply);
    // A model with no traffic: the SRM test cannot run, and says so with null (it was once serialized as {}).
    assert.equal((await get('/v1/models/reg/analysis', R.AnalysisReply)).srm, null);
    await get('/v1/models/churn/metrics/series?window=5m', R.SeriesReply);
    await send('POST', '/v1/models/churn/rollout/pause', undefined, R.RolloutView);
    await send('POST', '/v1/models/churn/rollout/abort', { reason: 'contract' }, R.RolloutView);
    await get('/v1/models/churn/rollouts', R.RolloutList);
    const report = await get('/v1/models/churn/rollout/report', R.RolloutReportReply);
    assert.ok(report.steps.length > 0);
    const md = await fetch(`${s.url}/v1/models/churn/rollout/report?format=markdown`);
    assert.match(await md.text(), /^# Rollout of churn/, 'the markdown report is text, untouched by the JSON schema');
    await send('POST', '/v1/models/churn/deploy', { version: 2 }, R.ModelView);
    await send('POST', '/v1/models/churn/promote', undefined, R.ModelView);

    // The seeds' routes, in the order their walkthroughs use them.
    const p = await s.request('POST', '/predict', { features: [0.5, 1.2, 0.8, 0.3, 1.1] });
    await send('POST', '/v1/feedback', { request_id: p.json.request_id, label: 1 }, R.FeedbackReply);
    await send('POST', '/v1/feedback', [{ request_id: p.json.request_id, label: 1 }, { request_id: 'nope', label: 0 }], R.FeedbackReply);
    await send('POST', '/admin/deploy-canary', { model_path: 'churn@1' }, R.TakehomeDeployReply);
    await get('/admin/check-canary-health', R.TakehomeHealthReply);
    await send('POST', '/admin/toggle-slowdown', undefined, R.TakehomeSlowdownReply);
    await send('POST', '/admin/rollback-canary', undefined, R.TakehomeRollbackReply);
    await send('POST', '/reset', undefined, R.LabResetReply);
    await send('POST', '/set_canary/30', undefined, R.LabWeightReply);
    await send('POST', '/simulate_failure/1', undefined, R.LabFailureReply);
    await send('POST', '/check_rollback', undefined, R.LabRollbackCheck);
    await send('POST', '/simulate_failure/0', undefined, R.LabFailureReply);
    await send('POST', '/admin/promote-canary', undefined, R.TakehomePromoteReply);
  });

  it('the views themselves match the schemas: a field added to a view but not to its schema would be dropped silently by the serializer', async () => {
    const model = await s.app.registry.get('churn');
    const versions = { loadError: () => undefined, notReady: () => undefined, servingRevision: () => 3 };
    check(R.ModelView, modelView(model, versions, s.app.settings.get('churn')), 'modelView');
    check(R.VersionView, versionView(model.versions[0]!, 'stable', versions), 'versionView');
    const rollouts = await s.app.rollouts.list('churn');
    assert.ok(rollouts.length > 0);
    for (const r of rollouts) {
      check(R.RolloutView, rolloutView(r), 'rolloutView');
      for (const d of r.history) check(R.DecisionView, decisionView(d), 'decisionView');
    }
    const pair = await s.app.metrics.read('churn', { from: 0 });
    check(R.VariantMetrics, variantView(pair.canary, 10, pair.canary.requests + pair.stable.requests), 'variantView');
    check(R.VariantMetrics, variantView(emptyVariantMetrics('canary'), 0, 0), 'variantView of no traffic');
  });
});
