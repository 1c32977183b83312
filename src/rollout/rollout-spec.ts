import { parse as parseYaml } from 'yaml';
import { badRequest, percentToBasisPoints, type AnalysisMetricSpec, type RolloutSpec, type StepSpec } from '../domain/index.js';

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
  throw badRequest('invalid_request', `rollout spec: ${field} ${message}`);
};

/** "30s", "5m", "1h", "250ms" or a number of seconds. */
export function parseDurationMs(value: unknown, field: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) fail(field, `must be a non-negative duration, got ${value}`);
    return Math.round(value * 1000);
  }
  if (typeof value !== 'string') return fail(field, 'must be a duration like 30s, 5m or 1h');
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(value.trim());
  if (!m) return fail(field, `"${value}" must be a duration like 30s, 5m or 1h`);
  return Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd']);
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
    return fail(field, (err as Error).message);
  }
}

function steps(raw: Raw, defaults: { bakeMs: number; minSamples: number }): StepSpec[] {
  const list = raw.steps;
  if (list === undefined) {
    const initial = (raw.initial as number | undefined) ?? SPEC_DEFAULTS.initial;
    const increment = (raw.increment as number | undefined) ?? SPEC_DEFAULTS.increment;
    const max = (raw.max as number | undefined) ?? SPEC_DEFAULTS.max;
    weight(initial, 'initial');
    weight(max, 'max');
    if (typeof increment !== 'number' || !(increment > 0)) fail('increment', `must be a positive percentage, got ${JSON.stringify(increment)}`);
    if (initial > max) fail('initial', `(${initial}) must not exceed max (${max})`);
    const out: number[] = [];
    for (let w = initial; w < max; w += increment) out.push(Math.round(w * 100) / 100);
    out.push(max);
    return out.map((w, i) => ({ weightBp: weight(w, `steps[${i}]`), bakeMs: defaults.bakeMs, minSamples: defaults.minSamples, pause: false }));
  }
  if (!Array.isArray(list) || list.length === 0 || list.length > 100) fail('steps', 'must be a list of 1 to 100 steps, e.g. [5, 10, 25, 50, 100]');
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
      bakeMs: s.bake === undefined ? defaults.bakeMs : parseDurationMs(s.bake, `${field}.bake`),
      minSamples: s.minSamples === undefined ? defaults.minSamples : int(s.minSamples, `${field}.minSamples`, 0, 100_000_000),
      pause: s.pause === true,
    };
  });
}

function analysis(raw: unknown): AnalysisMetricSpec[] | null {
  if (raw === undefined || raw === 'default' || raw === null) return null;
  if (!Array.isArray(raw) || raw.length === 0) return fail('analysis', 'must be "default" or a list of metrics');
  return raw.map((m, i) => {
    const field = `analysis[${i}]`;
    if (typeof m !== 'object' || m === null) return fail(field, 'must be an object');
    const r = m as Raw;
    if (!METRICS.includes(r.metric as (typeof METRICS)[number])) fail(`${field}.metric`, `must be one of ${METRICS.join(', ')}`);
    if (typeof r.judge !== 'object' || r.judge === null) fail(`${field}.judge`, 'must be a judge config, e.g. {"judge": "sequential", "statistic": "rate", "better": "lower", "margin": 0.01}');
    const judge = r.judge as Raw;
    if (!['threshold', 'relative', 'welch_t', 'mann_whitney', 'two_proportion', 'sequential', 'drift'].includes(judge.judge as string)) {
      fail(`${field}.judge.judge`, 'must be threshold, relative, welch_t, mann_whitney, two_proportion, sequential or drift');
    }
    return {
      name: typeof r.name === 'string' && r.name !== '' ? r.name : `${r.metric as string}_${i}`,
      metric: r.metric as AnalysisMetricSpec['metric'],
      critical: r.critical === true,
      required: r.required !== false,
      judge,
    };
  });
}

const KNOWN = ['canary', 'version', 'steps', 'initial', 'increment', 'max', 'bake', 'minSamples', 'interval', 'analysis', 'failureLimit', 'inconclusive', 'maxDuration', 'srmAlpha', 'webhooks'];

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
  const intervalMs = r.interval === undefined ? SPEC_DEFAULTS.intervalMs : parseDurationMs(r.interval, 'interval');
  if (intervalMs < 100) fail('interval', 'must be at least 100ms');
  const bakeMs = r.bake === undefined ? intervalMs : parseDurationMs(r.bake, 'bake');
  const minSamples = r.minSamples === undefined ? SPEC_DEFAULTS.minSamples : int(r.minSamples, 'minSamples', 0, 100_000_000);
  const inconclusive = r.inconclusive ?? SPEC_DEFAULTS.inconclusive;
  if (inconclusive !== 'wait' && inconclusive !== 'pause') fail('inconclusive', 'must be "wait" or "pause"');
  const srmAlpha = r.srmAlpha ?? SPEC_DEFAULTS.srmAlpha;
  if (typeof srmAlpha !== 'number' || !(srmAlpha > 0 && srmAlpha < 0.5)) fail('srmAlpha', 'must be a level between 0 and 0.5, e.g. 0.001');
  const webhooks = r.webhooks ?? [];
  if (!Array.isArray(webhooks) || webhooks.some((u) => typeof u !== 'string' || !/^https?:\/\//.test(u))) fail('webhooks', 'must be a list of http(s) URLs');
  return {
    canaryVersion,
    steps: steps(r, { bakeMs, minSamples }),
    intervalMs,
    analysis: analysis(r.analysis),
    failureLimit: r.failureLimit === undefined ? SPEC_DEFAULTS.failureLimit : int(r.failureLimit, 'failureLimit', 0, 1000),
    inconclusive: inconclusive as 'wait' | 'pause',
    maxDurationMs: r.maxDuration === undefined ? SPEC_DEFAULTS.maxDurationMs : parseDurationMs(r.maxDuration, 'maxDuration'),
    srmAlpha: srmAlpha as number,
    webhooks: webhooks as string[],
  };
}
