import type { Decision, Info, RolloutInfo, SeriesPoint, Variant } from './api.js';

/** One chart's data in uPlot's aligned form: x in Unix seconds, then one array per line (null = gap). */
export interface ChartData {
  readonly x: number[];
  readonly lines: (number | null)[][];
}

export interface LineDef {
  readonly label: string;
  readonly variant: Variant;
  readonly value: (p: SeriesPoint) => number | null;
}

export type ChartKind = 'rps' | 'errors' | 'latency' | 'accuracy';

const pctOf = (x: number | null) => (x === null ? null : x * 100);

export const LINES: Record<ChartKind, readonly LineDef[]> = {
  rps: [
    { label: 'stable', variant: 'stable', value: (p) => p.rps },
    { label: 'canary', variant: 'canary', value: (p) => p.rps },
  ],
  errors: [
    { label: 'stable', variant: 'stable', value: (p) => (p.requests > 0 ? pctOf(p.error_rate) : null) },
    { label: 'canary', variant: 'canary', value: (p) => (p.requests > 0 ? pctOf(p.error_rate) : null) },
  ],
  latency: (['p50', 'p95', 'p99'] as const).flatMap((q) =>
    (['stable', 'canary'] as const).map((variant) => ({ label: `${variant} ${q}`, variant, value: (p: SeriesPoint) => p.latency_ms[q] })),
  ),
  accuracy: [
    { label: 'stable', variant: 'stable', value: (p) => (p.labelled > 0 ? pctOf(p.accuracy) : null) },
    { label: 'canary', variant: 'canary', value: (p) => (p.labelled > 0 ? pctOf(p.accuracy) : null) },
  ],
};

/**
 * Aligns points of both variants on one time axis; a variant with no traffic in a step is a gap,
 * and so is a stretch with no points at all (more than one step between two points): without the
 * inserted empty time, uPlot would draw a line straight across the time nothing was measured.
 */
export function chartData(points: readonly SeriesPoint[], lines: readonly LineDef[], stepMs = 0): ChartData {
  const measured = [...new Set(points.map((p) => p.t))].sort((a, b) => a - b);
  const times: number[] = [];
  for (const t of measured) {
    const prev = times.at(-1);
    if (stepMs > 0 && prev !== undefined && t - prev > stepMs) times.push(prev + stepMs);
    times.push(t);
  }
  const index = new Map(times.map((t, i) => [t, i]));
  const data = lines.map(() => new Array<number | null>(times.length).fill(null));
  for (const p of points) {
    const i = index.get(p.t)!;
    lines.forEach((l, j) => {
      if (l.variant === p.variant) data[j]![i] = l.value(p);
    });
  }
  return { x: times.map((t) => t / 1000), lines: data };
}

/** Replaces points of the same step and variant, adds new ones, and drops those older than the window. */
export function mergePoints(current: readonly SeriesPoint[], incoming: readonly SeriesPoint[], now: number, windowMs: number): SeriesPoint[] {
  const byKey = new Map(current.map((p) => [`${p.t}|${p.variant}`, p]));
  for (const p of incoming) byKey.set(`${p.t}|${p.variant}`, p);
  return [...byKey.values()].filter((p) => p.t >= now - windowMs).sort((a, b) => a.t - b.t || a.variant.localeCompare(b.variant));
}

export interface Threshold {
  readonly value: number;
  readonly label: string;
}

/** Limits drawn on each chart: the rollout's own threshold judges when it has any, else the server's defaults. */
export function thresholds(info: Info | null, rollout: RolloutInfo | null): Record<ChartKind, Threshold[]> {
  const out: Record<ChartKind, Threshold[]> = { rps: [], errors: [], latency: [], accuracy: [] };
  const custom = rollout && rollout.spec.analysis !== 'default' ? rollout.spec.analysis : null;
  if (custom) {
    for (const m of custom) {
      const j = m.judge;
      if (j.judge !== 'threshold') continue;
      const limit = typeof j.max === 'number' ? j.max : typeof j.min === 'number' ? j.min : null;
      if (limit === null) continue;
      const side = typeof j.max === 'number' ? 'max' : 'min';
      const stat = typeof j.statistic === 'string' ? j.statistic : '';
      if (m.metric === 'latency') out.latency.push({ value: limit, label: `${stat} ${side}` });
      else if (m.metric === 'error_rate') out.errors.push({ value: limit * 100, label: side });
      else if (m.metric === 'accuracy') out.accuracy.push({ value: limit * 100, label: side });
    }
  } else if (info) {
    out.latency.push({ value: info.thresholds.latency_p95_ms, label: 'p95 max' });
    out.accuracy.push({ value: info.thresholds.accuracy_pct, label: 'min' });
  }
  return out;
}

export interface Marker {
  /** Unix seconds. */
  readonly x: number;
  readonly label: string;
  readonly kind: 'step' | 'rollback' | 'promote';
}

/** Rollout moments drawn as vertical lines: every step change, the promotion and a rollback. */
export function markers(history: readonly Decision[]): Marker[] {
  const out: Marker[] = [];
  for (const d of history) {
    const x = Date.parse(d.at) / 1000;
    if (d.action === 'start' || d.action === 'advance') out.push({ x, label: `${d.weight}%`, kind: 'step' });
    else if (d.action === 'rollback') out.push({ x, label: 'rollback', kind: 'rollback' });
    else if (d.action === 'succeed' || d.action === 'promote') out.push({ x, label: d.action === 'succeed' ? 'promoted' : 'promote', kind: 'promote' });
  }
  return out;
}

/** Share of requests the canary served over the points given (null without traffic). */
export function observedShare(points: readonly SeriesPoint[], since: number): number | null {
  let canary = 0;
  let total = 0;
  for (const p of points) {
    if (p.t < since) continue;
    total += p.requests;
    if (p.variant === 'canary') canary += p.requests;
  }
  return total > 0 ? canary / total : null;
}

export type RangeChoice = 'rollout' | '5m' | '15m';

export const RANGE_MS: Record<Exclude<RangeChoice, 'rollout'>, number> = { '5m': 5 * 60_000, '15m': 15 * 60_000 };

/** The time span of a rollout, with a little room either side (Unix ms), or null before it started. */
export function rolloutSpan(rollout: RolloutInfo | null, history: readonly Decision[], now: number): [number, number] | null {
  if (!rollout) return null;
  const start = Date.parse(rollout.started_at);
  const ended = ['succeeded', 'rolled_back', 'failed'].includes(rollout.phase);
  const end = ended ? Date.parse(history.at(-1)?.at ?? rollout.updated_at) : now;
  const pad = Math.max(5_000, (end - start) * 0.05);
  return [start - pad, Math.min(now, end + pad)];
}

/**
 * The x range a chart shows: the current or last rollout while its span lies within the points
 * kept (the last `keptMs`), else the last 15 minutes; the user can pick another.
 */
export function xRange(choice: RangeChoice | null, rollout: RolloutInfo | null, history: readonly Decision[], now: number, keptMs: number): { choice: RangeChoice; from: number; to: number } {
  const span = rolloutSpan(rollout, history, now);
  const usable = span !== null && span[1] > now - keptMs;
  const picked = choice ?? (usable ? 'rollout' : '15m');
  if (picked === 'rollout' && span) return { choice: 'rollout', from: Math.max(span[0], now - keptMs), to: span[1] };
  const ms = RANGE_MS[picked === 'rollout' ? '15m' : picked];
  return { choice: picked === 'rollout' ? '15m' : picked, from: now - ms, to: now };
}
