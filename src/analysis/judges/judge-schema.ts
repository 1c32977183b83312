import { Type, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import type { JudgeConfig } from './judge-config.js';

/**
 * One schema per judge, so a spec that names a judge gets exactly that judge's fields checked:
 * a threshold with no limit, an unknown statistic or an alpha of 2 would otherwise be accepted and
 * then pass (or stay inconclusive) forever.
 */
const oneOf = <T extends string>(...values: T[]) => Type.Union(values.map((v) => Type.Literal(v)));
const Fraction = Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 });
const NonNegative = Type.Number({ minimum: 0 });
const Positive = Type.Number({ exclusiveMinimum: 0 });
const MinSamples = Type.Integer({ minimum: 1, maximum: 100_000_000 });
/** mean, rate, or a quantile p0.1 … p99.9. */
const StatisticPattern = '^(mean|rate|p(?:[1-9][0-9]?(?:\\.[0-9])?|0\\.[1-9]))$';
const Statistic = Type.String({ pattern: StatisticPattern });
const Better = oneOf('lower', 'higher');

const strict = (properties: Record<string, TSchema>) => Type.Object(properties, { additionalProperties: false });

const SCHEMAS = {
  threshold: strict({ judge: Type.Literal('threshold'), statistic: Statistic, max: Type.Optional(Type.Number()), min: Type.Optional(Type.Number()), minSamples: Type.Optional(MinSamples) }),
  relative: strict({
    judge: Type.Literal('relative'),
    statistic: Statistic,
    better: Better,
    maxIncrease: Type.Optional(NonNegative),
    maxDecrease: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    slack: Type.Optional(NonNegative),
    minSamples: Type.Optional(MinSamples),
  }),
  statistical: strict({
    judge: oneOf('welch_t', 'mann_whitney', 'two_proportion'),
    better: Better,
    alpha: Type.Optional(Fraction),
    mde: Type.Optional(Positive),
    power: Type.Optional(Fraction),
    powerGate: Type.Optional(Type.Boolean()),
    assumedSd: Type.Optional(Positive),
    minSamples: Type.Optional(MinSamples),
  }),
  sequential: strict({
    judge: Type.Literal('sequential'),
    statistic: oneOf('mean', 'rate'),
    better: Better,
    alpha: Type.Optional(Fraction),
    margin: Type.Optional(NonNegative),
    relativeMargin: Type.Optional(NonNegative),
    tau: Type.Optional(Positive),
    mde: Type.Optional(Positive),
    minSamples: Type.Optional(MinSamples),
  }),
  drift: strict({ judge: Type.Literal('drift'), maxPsi: Type.Optional(Positive), alpha: Type.Optional(Fraction), minSamples: Type.Optional(MinSamples) }),
};

const COMPILED = Object.fromEntries(Object.entries(SCHEMAS).map(([k, s]) => [k, Compile(s)])) as Record<keyof typeof SCHEMAS, ReturnType<typeof Compile>>;

export const JUDGE_NAMES = ['threshold', 'relative', 'welch_t', 'mann_whitney', 'two_proportion', 'sequential', 'drift'] as const;
export type JudgeName = (typeof JUDGE_NAMES)[number];

export type JudgeConfigResult = { readonly ok: true; readonly config: JudgeConfig } | { readonly ok: false; readonly field: string; readonly message: string };

const schemaFor = (name: JudgeName): keyof typeof SCHEMAS => (name === 'welch_t' || name === 'mann_whitney' || name === 'two_proportion' ? 'statistical' : name);

interface SchemaError {
  readonly keyword: string;
  readonly instancePath: string;
  readonly params: Record<string, unknown>;
  readonly message: string;
}

/** TypeBox reports a literal union as one `const` error per member; say it as "must be one of …". */
function describe(errors: readonly SchemaError[], value: Record<string, unknown>): { field: string; message: string } {
  const extra = errors.find((e) => e.keyword === 'additionalProperties');
  if (extra) {
    const names = (extra.params.additionalProperties as string[] | undefined) ?? [];
    return { field: '', message: `has unknown field(s) ${names.join(', ')} for a ${String(value.judge)} judge` };
  }
  const first = errors[0]!;
  const field = first.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (first.keyword === 'const' || first.keyword === 'anyOf') {
    const allowed = errors.filter((e) => e.instancePath === first.instancePath && e.keyword === 'const').map((e) => String(e.params.allowedValue));
    return { field, message: `must be one of ${allowed.join(', ')}, got ${JSON.stringify(value[field])}` };
  }
  if (first.keyword === 'pattern') return { field, message: `must be mean, rate or a quantile such as p95, got ${JSON.stringify(value[field])}` };
  if (first.keyword === 'required') return { field: String((first.params.requiredProperties as string[] | undefined)?.[0] ?? field), message: 'is required' };
  return { field, message: `${first.message}, got ${JSON.stringify(value[field])}` };
}

/** Checks a judge config from a rollout spec; the field it names is relative to the config. */
export function parseJudgeConfig(raw: unknown): JudgeConfigResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, field: '', message: 'must be an object such as {"judge": "sequential", "statistic": "rate", "better": "lower", "margin": 0.01}' };
  const value = raw as Record<string, unknown>;
  if (!JUDGE_NAMES.includes(value.judge as JudgeName)) return { ok: false, field: 'judge', message: `must be one of ${JUDGE_NAMES.join(', ')}, got ${JSON.stringify(value.judge)}` };
  const validator = COMPILED[schemaFor(value.judge as JudgeName)];
  if (!validator.Check(value)) {
    const { field, message } = describe([...validator.Errors(value)] as SchemaError[], value);
    return { ok: false, field, message };
  }
  if (value.judge === 'threshold') {
    if (value.max === undefined && value.min === undefined) return { ok: false, field: '', message: 'needs max or min: a threshold without a limit would always pass' };
    if (value.max !== undefined && value.min !== undefined && (value.min as number) > (value.max as number)) return { ok: false, field: 'min', message: `(${String(value.min)}) must not exceed max (${String(value.max)})` };
  }
  return { ok: true, config: value as unknown as JudgeConfig };
}
