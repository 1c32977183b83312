import type { MetricQuery, Variant, Verdict } from '../domain/index.js';
import type { BoundMetric, Measurement } from '../metrics/index.js';

type Measured = Measurement & { ok: true };

/** The queries each kind of sample is read from. */
const SOURCES: Record<'errors' | 'latency' | 'accuracy', readonly MetricQuery[]> = {
  errors: ['errors', 'requests'],
  latency: ['latency_buckets', 'latency_sum', 'latency_count', 'latency_mean', 'requests'],
  accuracy: ['correct', 'labelled'],
};

function sourceOf(b: BoundMetric, m: Measured): keyof typeof SOURCES | null {
  const picked = b.pick(m.pair.stable);
  const s = m.pair.stable.samples;
  return picked === s.errors ? 'errors' : picked === s.latency ? 'latency' : picked === s.accuracy ? 'accuracy' : null;
}

/**
 * Every verdict judged on Prometheus' numbers shows the PromQL behind them, and one whose
 * queries returned no series says so: "no data" is inconclusive with its reason, never a 0.
 */
export function withQueryEvidence<V extends Verdict>(verdicts: readonly V[], m: Measured, bound: readonly BoundMetric[]): V[] {
  return verdicts.map((v) => {
    const b = bound.find((x) => x.spec.name === v.metric);
    const source = b ? sourceOf(b, m) : null;
    if (!source) return v;
    const names = SOURCES[source].filter((q) => m.queries[q] !== undefined);
    const queries = Object.fromEntries(names.map((q) => [q, m.queries[q]!]));
    const evidence = { ...v.evidence, queries };
    const empty = m.missing.filter((x) => names.includes(x.query));
    if (empty.length === 0 || v.reason.startsWith('not judged')) return { ...v, evidence };
    const first = empty[0]!;
    const which = (variant: Variant) => m.queries[first.query]![variant];
    return {
      ...v,
      status: 'inconclusive',
      reason: `no data: Prometheus returned no series for ${first.query} of ${first.variant} (${which(first.variant)}); not judged, and not read as 0`,
      evidence,
    };
  });
}
