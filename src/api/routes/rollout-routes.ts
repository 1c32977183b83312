import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { decisionView, reportMarkdown, rolloutReport, type RolloutCommand } from '../../rollout/index.js';
import { ModelParams } from '../schemas.js';
import type { ApiServices } from '../services.js';
import { RolloutHistory, RolloutList, RolloutReportReply, RolloutView } from '../reply-schemas.js';
import { rolloutView } from '../views.js';

const CommandBody = Type.Union([Type.Object({ reason: Type.Optional(Type.String({ maxLength: 1000 })), full: Type.Optional(Type.Boolean()) }, { additionalProperties: false }), Type.Null()]);
const CommandParams = Type.Object({ name: Type.String({ maxLength: 200 }), command: Type.Union([Type.Literal('pause'), Type.Literal('resume'), Type.Literal('promote'), Type.Literal('abort'), Type.Literal('retry')]) });
const ReportQuery = Type.Object({ format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('markdown'), Type.Literal('md')])) }, { additionalProperties: false });
const HistoryQuery = Type.Object({ limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })) }, { additionalProperties: false });

/** Progressive rollouts: start one from a spec, watch it, steer it, and read its report. */
export function rolloutRoutes(app: FastifyInstance, s: ApiServices): void {
  app.addContentTypeParser(['application/yaml', 'application/x-yaml', 'text/yaml'], { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.post<{ Params: { name: string }; Body: unknown }>('/v1/models/:name/rollout', { schema: { params: ModelParams, response: { 201: RolloutView } } }, async (req, reply) => {
    await s.registry.get(req.params.name);
    const r = await s.rollouts.start(req.params.name, req.body ?? {});
    req.log.info({ model: r.model, rollout: r.id, canary: r.spec.canaryVersion, steps: r.spec.steps.map((x) => x.weightBp / 100) }, 'rollout started');
    return reply.status(201).send(rolloutView(r));
  });

  app.get<{ Params: { name: string } }>('/v1/models/:name/rollout', { schema: { params: ModelParams, response: { 200: RolloutView } } }, async (req) => rolloutView(await s.rollouts.get(req.params.name)));

  app.get<{ Params: { name: string } }>('/v1/models/:name/rollouts', { schema: { params: ModelParams, response: { 200: RolloutList } } }, async (req) => {
    await s.registry.get(req.params.name);
    return { rollouts: (await s.rollouts.list(req.params.name)).map(rolloutView) };
  });

  app.get<{ Params: { name: string }; Querystring: { limit?: string } }>(
    '/v1/models/:name/rollout/history',
    { schema: { params: ModelParams, querystring: HistoryQuery, response: { 200: RolloutHistory } } },
    async (req) => {
      const r = await s.rollouts.get(req.params.name);
      const limit = Number(req.query.limit ?? 1000);
      return { rollout: r.id, phase: r.phase, decisions: r.history.slice(-limit).map(decisionView) };
    },
  );

  app.get<{ Params: { name: string }; Querystring: { format?: string } }>(
    '/v1/models/:name/rollout/report',
    { schema: { params: ModelParams, querystring: ReportQuery, response: { 200: RolloutReportReply } } },
    async (req, reply) => {
      const report = rolloutReport(await s.rollouts.get(req.params.name), Date.now());
      if (req.query.format === 'markdown' || req.query.format === 'md') return reply.type('text/markdown; charset=utf-8').send(reportMarkdown(report));
      return report;
    },
  );

  app.post<{ Params: Static<typeof CommandParams>; Body: Static<typeof CommandBody> }>(
    '/v1/models/:name/rollout/:command',
    { schema: { params: CommandParams, body: CommandBody, response: { 200: RolloutView } } },
    async (req) => {
      const command: RolloutCommand = req.params.command === 'promote' && req.body?.full ? 'promote-full' : req.params.command;
      const r = await s.rollouts.command(req.params.name, command, req.body?.reason);
      req.log.info({ model: r.model, rollout: r.id, command, phase: r.phase }, 'rollout command');
      return rolloutView(r);
    },
  );
}
