import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { readFileSync } from 'node:fs';
import { Type } from 'typebox';
import { appError, type ModelVersion, type Variant } from '../../domain/index.js';
import { modelMetadata, outputsToV2, rowsFromV2, V2Error, V2InferBody, V2InferReply, V2ModelMetadata, V2ServerMetadata } from '../open-inference-codec.js';
import { parseVersion } from '../parse-params.js';
import { ModelParams, VersionParams } from '../schemas.js';
import type { ApiServices } from '../services.js';

const { version: VERSION } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

const Live = { 200: Type.Object({ live: Type.Boolean() }, { additionalProperties: false }) };
const Ready = { 200: Type.Object({ ready: Type.Boolean() }, { additionalProperties: false }), 503: V2Error };

function header(req: FastifyRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function stickyKey(req: FastifyRequest<{ Body: V2InferBody }>): string | undefined {
  const fromParams = req.body.parameters?.key;
  if (fromParams !== undefined && typeof fromParams !== 'string' && typeof fromParams !== 'number') {
    throw appError('invalid_request', 'parameters.key must be a string or a number (the sticky routing key)');
  }
  const key = fromParams ?? header(req, 'x-coalmine-key');
  return key === undefined ? undefined : String(key).slice(0, 512);
}

/**
 * The Open Inference Protocol (KServe V2 REST) on coalmine itself: health, server and model
 * metadata, readiness and infer, split between stable and canary as `/v1` predict is; a
 * version's own infer path forces that version, which keeps it out of the analysis. Errors
 * are the protocol's `{"error": "…"}` (error-handler.ts answers every /v2 path so), with the
 * status coalmine's catalog gives the failure.
 */
export function openInferenceRoutes(app: FastifyInstance, s: ApiServices): void {
  void app.register(
    async (v2) => {
      v2.setNotFoundHandler((req, reply) => reply.status(404).send({ error: `no Open Inference Protocol route ${req.method} ${req.url.split('?')[0]}; see docs/api.md` }));

      v2.get('', { schema: { response: { 200: V2ServerMetadata } }, config: { access: 'read' } }, async () => ({ name: 'coalmine', version: VERSION, extensions: [] }));
      v2.get('/health/live', { schema: { response: Live }, config: { access: 'open' } }, async () => ({ live: true }));
      v2.get('/health/ready', { schema: { response: Ready }, config: { access: 'open' } }, async (_req, reply) => {
        const { ready, problems } = s.predictions.ready();
        return ready ? { ready: true } : reply.status(503).send({ error: `not ready: ${problems.join('; ')}` });
      });

      const versionOf = async (name: string, raw: string): Promise<ModelVersion> => s.registry.version(name, parseVersion(raw, name));

      v2.get<{ Params: { name: string } }>('/models/:name', { schema: { params: ModelParams, response: { 200: V2ModelMetadata } }, config: { access: 'read' } }, async (req) => {
        const model = await s.registry.get(req.params.name);
        const r = model.routing;
        const serving = model.versions.filter((v) => v.version === r.stableVersion || v.version === r.canaryVersion);
        return modelMetadata(model.name, serving, model.versions.find((v) => v.version === r.stableVersion)!);
      });
      v2.get<{ Params: { name: string; version: string } }>('/models/:name/versions/:version', { schema: { params: VersionParams, response: { 200: V2ModelMetadata } }, config: { access: 'read' } }, async (req) => {
        const v = await versionOf(req.params.name, req.params.version);
        return modelMetadata(req.params.name, [v], v);
      });

      const ready = (name: string, version: number, reply: FastifyReply, what: string) => {
        if (s.predictions.usable(name, version)) return { ready: true };
        return reply.status(503).send({ error: `${what} is not ready: ${s.versions.loadError(name, version) ?? s.versions.notReady(name, version) ?? 'it is not serving (neither stable nor canary)'}` });
      };
      v2.get<{ Params: { name: string } }>('/models/:name/ready', { schema: { params: ModelParams, response: Ready }, config: { access: 'read' } }, async (req, reply) => {
        const model = await s.registry.get(req.params.name);
        return ready(model.name, model.routing.stableVersion, reply, `stable version ${model.routing.stableVersion} of "${model.name}"`);
      });
      v2.get<{ Params: { name: string; version: string } }>('/models/:name/versions/:version/ready', { schema: { params: VersionParams, response: Ready }, config: { access: 'read' } }, async (req, reply) => {
        const v = await versionOf(req.params.name, req.params.version);
        return ready(v.model, v.version, reply, `version ${v.version} of "${v.model}"`);
      });

      const infer = async (name: string, req: FastifyRequest<{ Body: V2InferBody }>, forcedVersion: number | undefined) => {
        const serving = s.predictions.serving(name);
        if (!serving) {
          await s.registry.get(name); // the registry's 404, which says how to register the model
          throw appError('model_not_found', `model "${name}" not found`);
        }
        let forced: Variant | undefined;
        if (forcedVersion !== undefined) {
          if (forcedVersion === serving.stable.version) forced = 'stable';
          else if (forcedVersion === serving.canary?.version) forced = 'canary';
          else {
            await s.registry.version(name, forcedVersion); // a 404 for a version that does not exist
            throw appError('conflict', `version ${forcedVersion} of "${name}" is not serving (stable v${serving.stable.version}${serving.canary ? `, canary v${serving.canary.version}` : ''}); deploy it as the canary to call it`);
          }
        }
        const target = forced === 'canary' ? serving.canary! : serving.stable;
        const rows = rowsFromV2(req.body, target.signature, name);
        const result = await s.predictions.predict(name, { rows, key: stickyKey(req), forced });
        const served = result.version === serving.canary?.version ? serving.canary : serving.stable;
        return {
          model_name: name,
          model_version: String(result.version),
          ...(req.body.id !== undefined ? { id: req.body.id } : {}),
          parameters: { coalmine_variant: result.variant, coalmine_request_id: result.requestId, coalmine_fallback: result.fallback },
          outputs: outputsToV2(serving.stable.signature, served.signature, result.predictions, req.body.outputs),
        };
      };
      const inferSchema = { body: V2InferBody, response: { 200: V2InferReply } };
      v2.post<{ Params: { name: string }; Body: V2InferBody }>('/models/:name/infer', { schema: { ...inferSchema, params: ModelParams }, config: { access: 'open' } }, (req) => infer(req.params.name, req, undefined));
      v2.post<{ Params: { name: string; version: string }; Body: V2InferBody }>('/models/:name/versions/:version/infer', { schema: { ...inferSchema, params: VersionParams }, config: { access: 'open' } }, (req) =>
        infer(req.params.name, req, parseVersion(req.params.version, req.params.name)),
      );
    },
    { prefix: '/v2' },
  );
}
