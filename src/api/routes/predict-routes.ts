import type { FastifyInstance, FastifyRequest } from 'fastify';
import { appError, parseVariant, type FeatureRow, type Label, type Variant } from '../../domain/index.js';
import type { PredictResult } from '../../serving/index.js';
import { ModelParams, PredictBody, PredictReply } from '../schemas.js';
import type { ApiServices } from '../services.js';
import { predictView } from '../views.js';

type PredictReplyView = ReturnType<typeof predictView>;

interface ParsedPredict {
  readonly rows: FeatureRow[];
  readonly batch: boolean;
  readonly key: string | undefined;
  readonly forced: Variant | undefined;
  readonly labels: (Label | null)[] | undefined;
}

type RawLabel = number | string | boolean | null;

const normalizeLabel = (l: RawLabel): Label | null => (typeof l === 'boolean' ? (l ? 1 : 0) : l);

function toLabels(raw: RawLabel | RawLabel[] | undefined, batch: boolean): (Label | null)[] | undefined {
  if (raw === undefined) return undefined;
  if (Array.isArray(raw) !== batch) {
    throw appError('invalid_request', batch ? 'a batch needs label as an array, one per row (null where unknown)' : 'label of a single row must be one value, not an array');
  }
  return Array.isArray(raw) ? raw.map(normalizeLabel) : [normalizeLabel(raw)];
}

function toRows(features: readonly unknown[]): { rows: FeatureRow[]; batch: boolean } {
  if (features.length === 0) throw appError('invalid_features', 'features is empty: send one row [f1, f2, …] or a batch [[…], …]');
  if (!Array.isArray(features[0])) return { rows: [features as number[]], batch: false };
  for (let i = 0; i < features.length; i++) {
    if (!Array.isArray(features[i])) {
      throw appError('invalid_features', `features mixes rows and numbers: item ${i} is not an array; a batch is [[…], […]]`);
    }
  }
  return { rows: features as number[][], batch: true };
}

function header(req: FastifyRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parse(req: FastifyRequest<{ Body: PredictBody }>): ParsedPredict {
  const body = req.body;
  const { rows, batch } = toRows(body.features);
  const rawKey = body.key ?? body.user_id ?? header(req, 'x-coalmine-key');
  const forcedHeader = header(req, 'x-coalmine-variant');
  return {
    rows,
    batch,
    key: rawKey === undefined ? undefined : String(rawKey),
    forced: forcedHeader === undefined ? undefined : parseVariant(forcedHeader),
    labels: toLabels(body.label, batch),
  };
}

/**
 * Not async, and no await: the handler returns the prediction's own promise, mapped to the reply.
 * Each async layer between the model call and the reply cost two more promise turns per request
 * on the hottest route; an error `parse` throws reaches Fastify's error handler all the same.
 */
function run(s: ApiServices, model: string, req: FastifyRequest<{ Body: PredictBody }>, seedNames: boolean): Promise<PredictReplyView> {
  const parsed = parse(req);
  return s.predictions
    .predict(model, { rows: parsed.rows, key: parsed.key, forced: parsed.forced, labels: parsed.labels })
    .then((result: PredictResult) => predictView(result, parsed.batch, seedNames));
}

export function predictRoutes(app: FastifyInstance, s: ApiServices): void {
  const schema = { body: PredictBody, response: { 200: PredictReply } };

  app.post<{ Params: { name: string }; Body: PredictBody }>(
    '/v1/models/:name/predict',
    { schema: { ...schema, params: ModelParams }, config: { access: 'open' } },
    (req) => run(s, req.params.name, req, false),
  );

  // The seeds' route on the default model, with the take-home's field names alongside.
  app.post<{ Body: PredictBody }>('/predict', { schema, config: { access: 'open' } }, (req) => run(s, s.config.defaultModel, req, true));
}
