import type { FastifyInstance, FastifyRequest } from 'fastify';
import { appError, parseVariant, type FeatureRow, type Label, type Variant } from '../../domain/index.js';
import type { PredictResult } from '../../serving/index.js';
import { ModelParams, PredictBody, PredictReply } from '../schemas.js';
import type { ApiServices } from '../services.js';
import { predictView } from '../views.js';

type PredictReplyView = ReturnType<typeof predictView>;

/** The schema's bound on the body is on bytes; this bounds the items before any is read. */
const MAX_ROWS = 1_000_000;

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

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * One row is an array of values or an object keyed by input name; a batch is a list of rows.
 * The values themselves are checked against the model's signature (serving/validate-rows.ts).
 */
function toRows(features: unknown): { rows: FeatureRow[]; batch: boolean } {
  if (isObject(features)) return { rows: [features as FeatureRow], batch: false };
  if (!Array.isArray(features)) {
    throw appError('invalid_features', 'features must be one row ([f1, f2, …] or {"input": value, …}) or a batch of rows ([[…], […]] or [{…}, {…}])');
  }
  if (features.length === 0) throw appError('invalid_features', 'features is empty: send one row [f1, f2, …] or a batch [[…], …]');
  if (features.length > MAX_ROWS) throw appError('invalid_features', `features holds ${features.length} items, more than ${MAX_ROWS}; split the batch`);
  const first = features[0];
  if (!Array.isArray(first) && !isObject(first)) return { rows: [features as FeatureRow], batch: false };
  for (let i = 0; i < features.length; i++) {
    const row = features[i];
    if (Array.isArray(first) ? !Array.isArray(row) : !isObject(row)) {
      throw appError('invalid_features', `features mixes rows of different kinds: item ${i} is not ${Array.isArray(first) ? 'an array' : 'an object'} like item 0; a batch is [[…], […]] or [{…}, {…}]`);
    }
  }
  return { rows: features as FeatureRow[], batch: true };
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
