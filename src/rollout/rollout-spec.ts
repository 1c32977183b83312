import { parse as parseYaml } from 'yaml';
import { parseJudgeConfig } from '../analysis/index.js';
import { appError, percentToBasisPoints, type AnalysisMetricSpec, type ExternalRouting, type MetricsSpec, type RolloutSpec, type StepSpec } from '../domain/index.js';
import { judgeMismatch } from '../metrics/index.js';
import { parseMetricsSpec, parseTrafficSpec } from './backends-spec.js';

/** Defaults of the controller sketch (seed 003): start at 5%, +10% per step, up to 100%. */
export const SPEC_DEFAULTS = Object.freeze({
  initial: 5,
  increment: 10,
  max: 100,
  intervalMs: 30_000,
  minSamples: 50,
  failureLimit: 0,
  inconclusive: 'wait' as const,
  maxDurationMs: 24 * 3_600_000,
  srmAlpha: 0.001,
});

const METRICS = ['error_rate', 'latency', 'accuracy', 'mae', 'drift'] as const;
type Raw = Record<string, unknown>;

const fail = (field: string, message: string): never => {
  throw appError('invalid_request', `rollout spec: ${field ? `${field} ` : ''}${message}`);
};

const DAY_MS = 86_400_000;
/** Caps that keep every derived time a valid date and every spec's work bounded. */
const MAX_INTERVAL_MS = DAY_MS;
const MAX_BAKE_MS = 30 * DAY_MS;
const MAX_DURATION_MS = 365 * DAY_MS;
export const MAX_WEBHOOKS = 10;
const MAX_ANALYSIS_METRICS = 20;

const describeMs = (ms: number) => (ms % DAY_MS === 0 ? `${ms / DAY_MS}d` : `${ms / 3_600_000}h`);

/** "30s", "5m", "1h", "250ms" or a number of seconds, up to `maxMs`. */
export function parseDurationMs(value: unknown, field: string, maxMs = MAX_DURATION_MS): number {
  let ms: number;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) fail(field, `must be a non-negative duration, got ${value}`);
    ms = Math.round(value * 1000);
  } else {
    if (typeof value !== 'string') return fail(field, 'must be a duration like 30s, 5m or 1h');
    const m = /^(\d{1,12}(?:\.\d{1,6})?)\s*(ms|s|m|h|d)$/.exec(value.trim());
    if (!m) return fail(field, `"${value}" must be a duration like 30s, 5m or 1h`);
    ms = Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: DAY_MS }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd']);
  }
  if (ms > maxMs) fail(field, `must be at most ${describeMs(maxMs)}, got ${JSON.stringify(value)}`);
  return ms;
}

function int(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) fail(field, `must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return value as number;
}

function weight(value: unknown, field: string): number {
  if (typeof value !== 'number') return fail(field, `must be a percentage (0-100], got ${JSON.stringify(value)}`);
  if (value <= 0) fail(field, 'must be above 0%: a step sends traffic to the canary');
  try {
    return percentToBasisPoints(value, field);
  } catch (err) {
    // The message already names the field.
    return fail('', (err as Error).message);
  }
}

export const MAX_STEPS = 100;

/** `initial`, `increment` and `max` expand to steps; counted in basis points first, so a tiny increment cannot expand to millions. */
function shorthandSteps(raw: Raw, defaults: { bakeMs: number; minSamples: number }): StepSpec[] {
  const initial = weight(raw.initial ?? SPEC_DEFAULTS.initial, 'initial');
  const max = weight(raw.max ?? SPEC_DEFAULTS.max, 'max');
  const increment = raw.increment ?? SPEC_DEFAULTS.increment;
  if (typeof increment !== 'number' || !Number.isFinite(increment) || increment < 0.01 || increment > 100) fail('increment', `must be a percentage from 0.01 to 100, got ${JSON.stringify(increment)}`);
  const incrementBp = weight(increment, 'increment');
  if (initial > max) fail('initial', `(${initial / 100}) must not exceed max (${max / 100})`);
  const count = Math.ceil((max - initial) / incrementBp) + 1;
  if (count > MAX_STEPS) fail('increment', `(${increment}%) makes ${count} steps from ${initial / 100}% to ${max / 100}%, more than ${MAX_STEPS}; use a larger increment or list the steps`);
  const out: number[] = [];
  for (let w = initial; w < max; w += incrementBp) out.push(w);
  out.push(max);
  return out.map((weightBp) => ({ weightBp, bakeMs: defaults.bakeMs, minSamples: defaults.minSamples, pause: false }));
}

function steps(raw: Raw, defaults: { bakeMs: number; minSamples: number }): StepSpec[] {
  const list = raw.steps;
  if (list === undefined) return shorthandSteps(raw, defaults);
  const mixed = ['initial', 'increment', 'max'].filter((k) => raw[k] !== undefined);
  if (mixed.length > 0) fail('steps', `and ${mixed.join(', ')} cannot both be given: list the steps, or give initial, increment and max`);
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_STEPS) fail('steps', `must be a list of 1 to ${MAX_STEPS} steps, e.g. [5, 10, 25, 50, 100]`);
  let previous = 0;
  return (list as unknown[]).map((item, i) => {
    const field = `steps[${i}]`;
    if (typeof item === 'number') item = { weight: item };
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return fail(field, 'must be a weight or {weight, bake, minSamples} or {pause: true}');
    const s = item as Raw;
    const unknown = Object.keys(s).filter((k) => !['weight', 'bake', 'minSamples', 'pause'].includes(k));
    if (unknown.length > 0) fail(field, `has unknown field(s) ${unknown.join(', ')}`);
    if (s.pause !== undefined && typeof s.pause !== 'boolean') fail(`${field}.pause`, 'must be true or false');
    const bp = s.weight === undefined ? (s.pause === true ? previous : fail(`${field}.weight`, 'is required')) : weight(s.weight, `${field}.weight`);
    if (bp === 0) fail(field, 'a pause before any weight has nothing to hold; put a weight first');
    if (bp < previous) fail(`${field}.weight`, `(${bp / 100}%) must not be below the previous step (${previous / 100}%)`);
    previous = bp;
    return {
      weightBp: bp,
      bakeMs: s.bake === undefined ? defaults.bakeMs : parseDurationMs(s.bake, `${field}.bake`, MAX_BAKE_MS),
      minSamples: s.minSamples === undefined ? defaults.minSamples : int(s.minSamples, `${field}.minSamples`, 0, 100_000_000),
      pause: s.pause === true,
    };
  });
}

const METRIC_FIELDS = ['name', 'metric', 'judge', 'critical', 'required'];

function analysis(raw: unknown): AnalysisMetricSpec[] | null {
  if (raw === undefined || raw === 'default' || raw === null) return null;
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_ANALYSIS_METRICS) return fail('analysis', `must be "default" or a list of 1 to ${MAX_ANALYSIS_METRICS} metrics`);
  const names = new Set<string>();
  return raw.map((m, i) => {
    const field = `analysis[${i}]`;
    if (typeof m !== 'object' || m === null || Array.isArray(m)) return fail(field, 'must be an object such as {"metric": "error_rate", "judge": {...}}');
    const r = m as Raw;
    const unknown = Object.keys(r).filter((k) => !METRIC_FIELDS.includes(k));
    if (unknown.length > 0) fail(field, `has unknown field(s) ${unknown.join(', ')}; known: ${METRIC_FIELDS.join(', ')}`);
    if (!METRICS.includes(r.metric as (typeof METRICS)[number])) fail(`${field}.metric`, `must be one of ${METRICS.join(', ')}, got ${JSON.stringify(r.metric)}`);
    for (const flag of ['critical', 'required']) if (r[flag] !== undefined && typeof r[flag] !== 'boolean') fail(`${field}.${flag}`, 'must be true or false');
    if (r.name !== undefined && (typeof r.name !== 'string' || !/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(r.name))) fail(`${field}.name`, 'must be a name of letters, digits, _ . - (at most 64, starting with a letter)');
    const checked = parseJudgeConfig(r.judge);
    if (!checked.ok) return fail(`${field}.judge${checked.field ? `.${checked.field}` : ''}`, checked.message);
    const metric = r.metric as AnalysisMetricSpec['metric'];
    const mismatch = judgeMismatch(metric, checked.config as { judge: string; statistic?: string });
    if (mismatch) fail(`${field}.judge.${mismatch.field}`, mismatch.message);
    const name = typeof r.name === 'string' ? r.name : `${metric}_${i}`;
    if (names.has(name)) fail(`${field}.name`, `"${name}" is used twice; give each metric its own name`);
    names.add(name);
    return { name, metric, critical: r.critical === true, required: r.required !== false, judge: checked.config as unknown as Readonly<Record<string, unknown>> };
  });
}

/** Webhook URLs of a rollout spec, or of another body that notifies (a shadow's, with its own `context` in messages). */
export function parseWebhooks(raw: unknown, context = 'rollout spec'): string[] {
  const bad = (field: string, message: string): never => {
    throw appError('invalid_request', `${context}: ${field} ${message}`);
  };
  if (raw === undefined) return [];
  if (!Array.isArray(raw) || raw.length > MAX_WEBHOOKS) return bad('webhooks', `must be a list of at most ${MAX_WEBHOOKS} http(s) URLs`);
  return raw.map((u, i) => {
    if (typeof u !== 'string' || u.length > 2048 || !/^https?:\/\//.test(u)) return bad(`webhooks[${i}]`, 'must be an http(s) URL of at most 2048 characters');
    try {
      return new URL(u).toString();
    } catch {
      return bad(`webhooks[${i}]`, `"${u}" is not a valid URL`);
    }
  });
}

const KNOWN = ['canary', 'version', 'steps', 'initial', 'increment', 'max', 'bake', 'minSamples', 'interval', 'analysis', 'failureLimit', 'inconclusive', 'maxDuration', 'srmAlpha', 'webhooks', 'traffic', 'metrics'];

function measurable(judged: readonly AnalysisMetricSpec[] | null, metrics: MetricsSpec | null): void {
  const unmeasured = metrics ? (judged ?? []).filter((m) => m.metric === 'mae' || m.metric === 'drift') : [];
  if (unmeasured.length > 0) fail('analysis', `judges ${unmeasured.map((m) => m.metric).join(', ')}, which the prometheus provider does not measure (it reads requests, errors, latency and labels); judge those with the builtin provider`);
}

/** A spec with the model's external routing filled in where the spec names none (docs/controller.md). */
export function withModelRouting(spec: RolloutSpec, external: ExternalRouting | null | undefined): RolloutSpec {
  if (!external) return spec;
  const merged = { ...spec, traffic: spec.traffic ?? external.traffic, metrics: spec.metrics ?? external.metrics };
  measurable(merged.analysis, merged.metrics ?? null);
  return merged;
}

/** Validates a rollout spec (an object, or JSON/YAML text) and fills in the defaults. */
export function parseRolloutSpec(input: unknown): RolloutSpec {
  let raw = input;
  if (typeof input === 'string') {
    try {
      raw = parseYaml(input) as unknown;
    } catch (err) {
      return fail('', `is neither JSON nor YAML: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('', 'must be an object with at least "canary": <version>');
  const r = raw as Raw;
  const unknown = Object.keys(r).filter((k) => !KNOWN.includes(k));
  if (unknown.length > 0) fail('', `has unknown field(s) ${unknown.join(', ')}; known: ${KNOWN.join(', ')}`);
  const version = r.canary ?? r.version;
  const canaryVersion = int(typeof version === 'string' && /^v?\d+$/.test(version) ? Number(version.replace(/^v/, '')) : version, 'canary', 1, 1_000_000_000);
  const intervalMs = r.interval === undefined ? SPEC_DEFAULTS.intervalMs : parseDurationMs(r.interval, 'interval', MAX_INTERVAL_MS);
  if (intervalMs < 100) fail('interval', 'must be at least 100ms');
  const bakeMs = r.bake === undefined ? intervalMs : parseDurationMs(r.bake, 'bake', MAX_BAKE_MS);
  const minSamples = r.minSamples === undefined ? SPEC_DEFAULTS.minSamples : int(r.minSamples, 'minSamples', 0, 100_000_000);
  const inconclusive = r.inconclusive ?? SPEC_DEFAULTS.inconclusive;
  if (inconclusive !== 'wait' && inconclusive !== 'pause') fail('inconclusive', 'must be "wait" or "pause"');
  const srmAlpha = r.srmAlpha ?? SPEC_DEFAULTS.srmAlpha;
  if (typeof srmAlpha !== 'number' || !(srmAlpha > 0 && srmAlpha < 0.5)) fail('srmAlpha', 'must be a level between 0 and 0.5, e.g. 0.001');
  const metrics = parseMetricsSpec(r.metrics);
  const judged = analysis(r.analysis);
  measurable(judged, metrics);
  return {
    canaryVersion,
    steps: steps(r, { bakeMs, minSamples }),
    intervalMs,
    analysis: judged,
    failureLimit: r.failureLimit === undefined ? SPEC_DEFAULTS.failureLimit : int(r.failureLimit, 'failureLimit', 0, 1000),
    inconclusive: inconclusive as 'wait' | 'pause',
    maxDurationMs: r.maxDuration === undefined ? SPEC_DEFAULTS.maxDurationMs : parseDurationMs(r.maxDuration, 'maxDuration'),
    srmAlpha: srmAlpha as number,
    webhooks: parseWebhooks(r.webhooks),
    traffic: parseTrafficSpec(r.traffic),
    metrics,
  };
}
