import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { comparisonView, shadowSessionView } from '../../shadow/index.js';
import { ModelParams } from '../schemas.js';
import type { ApiServices } from '../services.js';
import { RolloutView, ShadowComparisonsReply, ShadowSessionsReply, ShadowStatusReply } from '../reply-schemas.js';
import { rolloutView } from '../views.js';

const StopBody = Type.Union([Type.Object({ reason: Type.Optional(Type.String({ maxLength: 1000 })) }, { additionalProperties: false }), Type.Null()]);
const PromoteBody = Type.Union([
  Type.Object({ force: Type.Optional(Type.Boolean()), rollout: Type.Optional(Type.Record(Type.String(), Type.Unknown())) }, { additionalProperties: false }),
  Type.Null(),
]);
const ComparisonsQuery = Type.Object(
  { limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })), disagreeing: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false'), Type.Literal('1'), Type.Literal('0')])) },
  { additionalProperties: false },
);
const LimitQuery = Type.Object({ limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })) }, { additionalProperties: false });

/**
 * Shadow mode: start a session (the version scored on a copy of traffic after each reply), read
 * its status and comparisons, stop it, or promote it to a canary rollout in one call.
 */
export function shadowRoutes(app: FastifyInstance, s: ApiServices): void {
  app.post<{ Params: { name: string }; Body: unknown }>('/v1/models/:name/shadow', { schema: { params: ModelParams, response: { 201: ShadowStatusReply } } }, async (req, reply) => {
    return reply.status(201).send(await s.shadows.start(req.params.name, req.body ?? {}));
  });

  app.get<{ Params: { name: string } }>('/v1/models/:name/shadow', { schema: { params: ModelParams, response: { 200: ShadowStatusReply } } }, async (req) => s.shadows.status(req.params.name));

  app.delete<{ Params: { name: string }; Body: Static<typeof StopBody> }>(
    '/v1/models/:name/shadow',
    { schema: { params: ModelParams, body: StopBody, response: { 200: ShadowStatusReply } } },
    async (req) => s.shadows.stop(req.params.name, req.body?.reason),
  );

  app.post<{ Params: { name: string }; Body: Static<typeof PromoteBody> }>(
    '/v1/models/:name/shadow/promote',
    { schema: { params: ModelParams, body: PromoteBody, response: { 201: RolloutView } } },
    async (req, reply) => reply.status(201).send(rolloutView(await s.shadows.promote(req.params.name, req.body ?? {}))),
  );

  app.get<{ Params: { name: string }; Querystring: Static<typeof ComparisonsQuery> }>(
    '/v1/models/:name/shadow/comparisons',
    { schema: { params: ModelParams, querystring: ComparisonsQuery, response: { 200: ShadowComparisonsReply } } },
    async (req) => {
      const disagreeing = req.query.disagreeing === 'true' || req.query.disagreeing === '1';
      const found = await s.shadows.comparisons(req.params.name, Math.min(1000, Number(req.query.limit ?? 50)), disagreeing);
      return { model: req.params.name, session: found.session, comparisons: found.comparisons.map(comparisonView) };
    },
  );

  app.get<{ Params: { name: string }; Querystring: Static<typeof LimitQuery> }>(
    '/v1/models/:name/shadow/sessions',
    { schema: { params: ModelParams, querystring: LimitQuery, response: { 200: ShadowSessionsReply } } },
    async (req) => ({ model: req.params.name, sessions: (await s.shadows.sessions(req.params.name, Math.min(100, Number(req.query.limit ?? 20)))).map(shadowSessionView) }),
  );
}
