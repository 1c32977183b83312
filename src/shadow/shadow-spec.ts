import { appError, DEFAULT_SHADOW_POLICY, percentToBasisPoints, type BasisPoints, type ShadowPolicy } from '../domain/index.js';
import { parseWebhooks } from '../rollout/index.js';

export interface ShadowStart {
  readonly version: number;
  readonly sampleBp: BasisPoints;
  readonly policy: ShadowPolicy;
  readonly webhooks: readonly string[];
}

const fail = (field: string, message: string): never => {
  throw appError('invalid_request', `shadow: ${field} ${message}`);
};

const KNOWN = ['version', 'sample', 'policy', 'webhooks'];
const POLICY: Record<keyof ShadowPolicy, { min: number; max: number; integer?: boolean; exclusiveMin?: boolean }> = {
  minAgreement: { min: 0, max: 1 },
  maxErrorRate: { min: 0, max: 1 },
  maxLatencyIncrease: { min: 0, max: 100 },
  alpha: { min: 0, max: 0.5, exclusiveMin: true },
  minCompared: { min: 1, max: 100_000_000, integer: true },
  minLabelled: { min: 1, max: 100_000_000, integer: true },
};

/** "25%", 25 or "25": a share of traffic in percent. */
function sample(raw: unknown): BasisPoints {
  if (raw === undefined) return 10_000;
  const value = typeof raw === 'string' && /^\s*\d+(\.\d+)?\s*%?\s*$/.test(raw) ? Number(raw.replace('%', '')) : raw;
  if (typeof value !== 'number' || !(value > 0) || value > 100) return fail('sample', `must be a share of traffic above 0% and at most 100%, e.g. 100 or "25%"; got ${JSON.stringify(raw)}`);
  return percentToBasisPoints(value, 'shadow sample');
}

function policy(raw: unknown): ShadowPolicy {
  if (raw === undefined) return DEFAULT_SHADOW_POLICY;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('policy', `must be an object with any of ${Object.keys(POLICY).join(', ')}`);
  const given = raw as Record<string, unknown>;
  const unknown = Object.keys(given).filter((k) => !(k in POLICY));
  if (unknown.length > 0) fail('policy', `has unknown field(s) ${unknown.join(', ')}; known: ${Object.keys(POLICY).join(', ')}`);
  const out: Record<string, number> = { ...DEFAULT_SHADOW_POLICY };
  for (const [key, range] of Object.entries(POLICY)) {
    const v = given[key];
    if (v === undefined) continue;
    const below = range.exclusiveMin ? (v as number) <= range.min : (v as number) < range.min;
    if (typeof v !== 'number' || !Number.isFinite(v) || below || v > range.max || (range.integer && !Number.isInteger(v))) {
      fail(`policy.${key}`, `must be ${range.integer ? 'a whole number' : 'a number'} from ${range.min}${range.exclusiveMin ? ' (exclusive)' : ''} to ${range.max}, got ${JSON.stringify(v)}`);
    }
    out[key] = v as number;
  }
  return out as unknown as ShadowPolicy;
}

/** Validates `shadow start`'s body: `{"version": 3, "sample": "25%", "policy": {...}, "webhooks": [...]}`. */
export function parseShadowStart(body: unknown): ShadowStart {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return fail('', 'the body must be an object with at least "version": <version to shadow>');
  const r = body as Record<string, unknown>;
  const unknown = Object.keys(r).filter((k) => !KNOWN.includes(k));
  if (unknown.length > 0) fail('', `has unknown field(s) ${unknown.join(', ')}; known: ${KNOWN.join(', ')}`);
  const v = typeof r.version === 'string' && /^v?\d{1,10}$/.test(r.version) ? Number(r.version.replace(/^v/, '')) : r.version;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 1_000_000_000) fail('version', `must be a version number, got ${JSON.stringify(r.version)}`);
  return { version: v as number, sampleBp: sample(r.sample), policy: policy(r.policy), webhooks: parseWebhooks(r.webhooks, 'shadow') };
}
