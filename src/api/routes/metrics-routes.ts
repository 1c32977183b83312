import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { hasFaults } from '../../domain/index.js';
import { analysisView, byVersionView, labView, pairView, parseDuration, parseSince } from '../metrics-views.js';
import { AnalysisReply, MetricsReply, MetricsResponse } from '../reply-schemas.js';
import { ModelParams } from '../schemas.js';
import type { ApiServices } from '../services.js';
import { faultsView } from '../views.js';

const MetricsQuery = Type.Object(
  { window: Type.Optional(Type.String({ maxLength: 12 })), since: Type.Optional(Type.String({ maxLength: 40 })), revision: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$' })) },
  { additionalProperties: false },
);

export function metricsRoutes(app: FastifyInstance, s: ApiServices): void {
  /**
   * Default window: the current experiment, from the last deploy, promote, reset or registration
   * (exactly, by routing revision) within the telemetry retention, so a table never mixes the
   * versions that served a variant before and after a promotion.
   */
  const experiment = async (name: string) => {
    const e = await s.checks.experiment(name);
    return { from: Math.max(e.from, Date.now() - s.config.telemetryRetentionMs), minRevision: e.minRevision };
  };

  app.get<{ Params: { name: string }; Querystring: { window?: string; since?: string; revision?: string } }>(
    '/v1/models/:name/metrics',
    { schema: { params: ModelParams, querystring: MetricsQuery, response: { 200: MetricsReply } } },
    async (req) => {
      const model = await s.registry.get(req.params.name);
      const now = Date.now();
      const explicit = req.query.window !== undefined || req.query.since !== undefined;
      const current = explicit ? undefined : await experiment(model.name);
      // An empty window= or since= is refused by its parser (400), not taken for "no window".
      const from = req.query.window !== undefined ? now - parseDuration(req.query.window) : req.query.since !== undefined ? parseSince(req.query.since) : current!.from;
      const minRevision = req.query.revision !== undefined ? Number(req.query.revision) : current?.minRevision;
      const window = { from, to: now + 60_000, ...(minRevision !== undefined ? { minRevision } : {}) };
      const { pair, byVersion } = await s.metrics.readWithVersions(model.name, window);
      const r = model.routing;
      const weight = r.canaryVersion === null ? 0 : r.canaryWeightBp / 100;
      const settings = s.settings.get(model.name);
      return {
        model: model.name,
        window: { from: new Date(from).toISOString(), to: new Date(now).toISOString(), ...(minRevision !== undefined ? { min_revision: minRevision } : {}) },
        stable_version: r.stableVersion,
        canary_version: r.canaryVersion,
        canary_weight: weight,
        revision: r.revision,
        faults: faultsView(settings),
        variants: pairView(pair, weight),
        by_version: byVersionView(byVersion, r, weight),
      };
    },
  );

  app.get<{ Params: { name: string } }>('/v1/models/:name/analysis', { schema: { params: ModelParams, response: { 200: AnalysisReply } } }, async (req) => {
    const model = await s.registry.get(req.params.name);
    return analysisView(model, await s.checks.analyze(model.name), Date.now());
  });

  app.get('/metrics', { schema: { response: MetricsResponse } }, async (req, reply) => {
    if (!/application\/json/.test(req.headers.accept ?? '')) {
      return reply.type(s.prometheus.contentType).send(await s.prometheus.text());
    }
    // The lab's JSON view, on the default model.
    const name = s.config.defaultModel;
    const model = await s.registry.get(name);
    const pair = await s.metrics.read(name, { ...(await experiment(name)), to: Date.now() + 60_000 });
    const total = pair.stable.requests + pair.canary.requests;
    const settings = s.settings.get(name);
    return {
      model: name,
      production: labView(pair.stable, total),
      canary: labView(pair.canary, total),
      canary_percentage: model.routing.canaryVersion === null ? 0 : model.routing.canaryWeightBp / 100,
      simulate_failure: hasFaults(settings.faults.canary),
      faults: faultsView(settings),
      accuracy_threshold: s.config.accuracyThresholdPct,
      latency_threshold_ms: s.config.latencyThresholdMs,
    };
  });
}
