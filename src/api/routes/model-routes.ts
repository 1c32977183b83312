import type { FastifyInstance } from 'fastify';
import { parseEndpoint } from '../../domain/index.js';
import { EventsQuery, ModelParams, RegisterQuery, VersionParams, type RegisterQuery as RegisterQueryT } from '../schemas.js';
import { parseMetrics, parseVersion } from '../parse-params.js';
import type { ApiServices } from '../services.js';
import { EventList, ModelList, ModelView, RegisteredVersion, VersionView } from '../reply-schemas.js';
import { UploadBody } from '../uploads.js';
import { parseUpstreamRegistration } from '../upstream-registration.js';
import { eventView, modelSummary, modelView, versionView } from '../views.js';

export function modelRoutes(app: FastifyInstance, s: ApiServices): void {
  app.get('/v1/models', { schema: { response: { 200: ModelList } } }, async () => ({ models: (await s.registry.list()).map(modelSummary) }));

  app.get<{ Params: { name: string } }>('/v1/models/:name', { schema: { params: ModelParams, response: { 200: ModelView } } }, async (req) =>
    modelView(await s.registry.get(req.params.name), s.versions, s.settings.get(req.params.name)),
  );

  app.get<{ Params: { name: string; version: string } }>(
    '/v1/models/:name/versions/:version',
    { schema: { params: VersionParams, response: { 200: VersionView } } },
    async (req) => {
      const model = await s.registry.get(req.params.name);
      const v = await s.registry.version(req.params.name, parseVersion(req.params.version, req.params.name));
      const role = v.version === model.routing.stableVersion ? 'stable' : v.version === model.routing.canaryVersion ? 'canary' : null;
      return versionView(v, role, s.versions);
    },
  );

  app.get<{ Params: { name: string }; Querystring: { limit?: string } }>(
    '/v1/models/:name/events',
    { schema: { params: ModelParams, querystring: EventsQuery, response: { 200: EventList } } },
    async (req) => ({ events: (await s.registry.events(req.params.name, Number(req.query.limit ?? 50))).map(eventView) }),
  );

  // The ONNX file is the body; metadata rides in the query string so curl --data-binary works as is.
  app.post<{ Params: { name: string }; Querystring: RegisterQueryT; Body: unknown }>(
    '/v1/models/:name/versions',
    { bodyLimit: s.config.uploadLimitBytes, schema: { params: ModelParams, querystring: RegisterQuery, response: { 201: RegisteredVersion } } },
    async (req, reply) => {
      // JSON reaches here as a value, not a staged file: a model server to put a version in front of.
      if (!(req.body instanceof UploadBody)) {
        const { request, input } = parseUpstreamRegistration(req.body);
        const version = await s.registry.registerUpstream(req.params.name, request, input);
        req.log.info({ model: version.model, version: version.version, upstream: request.url }, 'model version registered');
        const model = await s.registry.get(version.model);
        return reply.status(201).send({ model: version.model, ...versionView(version, version.version === model.routing.stableVersion ? 'stable' : null, s.versions) });
      }
      const upload = req.body.staged;
      const metrics = parseMetrics(req.query.metrics);
      const version = await s.registry.register(req.params.name, upload, {
        description: req.query.description,
        source: req.query.source,
        metrics,
        ...(req.query.endpoint !== undefined ? { endpoint: parseEndpoint(req.query.endpoint) } : {}),
      });
      req.log.info({ model: version.model, version: version.version, source: version.source }, 'model version registered');
      const model = await s.registry.get(version.model);
      const role = version.version === model.routing.stableVersion ? 'stable' : null;
      return reply.status(201).send({ model: version.model, ...versionView(version, role, s.versions) });
    },
  );
}
