import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { appError } from '../../domain/index.js';
import { parseMetricsSpec, parseTrafficSpec } from '../../rollout/index.js';
import { ExternalRoutingReply } from '../reply-schemas.js';
import { ModelParams } from '../schemas.js';
import type { ApiServices } from '../services.js';
import { externalRoutingView } from '../views.js';

const Body = Type.Object({ traffic: Type.Unknown(), metrics: Type.Optional(Type.Unknown()) }, { additionalProperties: false });

/**
 * A model whose traffic a proxy splits (docs/controller.md): set, read and cleared here. Setting
 * it puts the proxy on the model's current routing first, and saves it only once the proxy has
 * taken it; from then on every routing change, by hand or by a rollout, goes through the proxy.
 */
export function externalRoutingRoutes(app: FastifyInstance, s: ApiServices): void {
  const reply = { params: ModelParams, response: { 200: ExternalRoutingReply } };
  const view = (model: string) => ({ model, external_routing: externalRoutingView(s.settings.get(model).external ?? null) });

  app.get<{ Params: { name: string } }>('/v1/models/:name/external-routing', { schema: reply }, async (req) => {
    await s.registry.get(req.params.name);
    return view(req.params.name);
  });

  app.put<{ Params: { name: string }; Body: { traffic: unknown; metrics?: unknown } }>('/v1/models/:name/external-routing', { schema: { ...reply, body: Body } }, async (req) => {
    await s.registry.get(req.params.name);
    const traffic = parseTrafficSpec(req.body.traffic);
    if (traffic === null) throw appError('invalid_request', 'traffic must name a proxy (haproxy, nginx, gateway-api, ingress-nginx); to route the model in coalmine again, DELETE /v1/models/{name}/external-routing');
    await s.manual.setExternal(req.params.name, { traffic, metrics: parseMetricsSpec(req.body.metrics) });
    req.log.info({ model: req.params.name, router: traffic.router }, 'external routing set');
    return view(req.params.name);
  });

  app.delete<{ Params: { name: string } }>('/v1/models/:name/external-routing', { schema: reply }, async (req) => {
    await s.registry.get(req.params.name);
    await s.manual.setExternal(req.params.name, null);
    req.log.info({ model: req.params.name }, 'external routing cleared: coalmine routes the model again');
    return view(req.params.name);
  });
}
