import type { Evidence, Fault, Verdict } from './api.js';

const grouped = new Intl.NumberFormat('en-US');

/** 3688 → "3,688". */
export const count = (n: number): string => grouped.format(n);

/** A number with at most `digits` decimals, trailing zeros dropped. */
export function num(x: number, digits = 2): string {
  return new Intl.NumberFormat('en-US', { maximumFractionDigits: digits }).format(x);
}

export const pct = (ratio: number | null, digits = 1): string => (ratio === null ? '–' : `${num(ratio * 100, digits)}%`);

/** 75_000 → "1m 15s"; negative durations count as zero. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m ${s % 60}s` : `${m}m`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
}

export function clock(at: string | number): string {
  return new Date(at).toLocaleTimeString('en-GB', { hour12: false });
}

type Unit = 'ms' | 'ratio' | 'none';

function unitOf(metric: string, e: Evidence): Unit {
  if (e.statistic === 'rate' || /error|accuracy/.test(metric)) return 'ratio';
  if (/latency/.test(metric) || /^p\d+$/.test(e.statistic) || e.method === 'mann_whitney_u') return 'ms';
  return 'none';
}

/** A value in the metric's unit: "31 ms", "2.4%" (ratios are shown as percentages). */
function amount(x: number, unit: Unit, signed = false): string {
  const v = unit === 'ratio' ? x * 100 : x;
  const text = num(Math.abs(v), Math.abs(v) < 10 ? 2 : 1);
  const sign = signed ? (v < 0 ? '−' : '+') : v < 0 ? '−' : '';
  return unit === 'ms' ? `${sign}${text} ms` : unit === 'ratio' ? `${sign}${text}%` : `${sign}${text}`;
}

/** The difference's unit: percentage points for rates, so "+2.1 pp" is never read as relative. */
function diffAmount(x: number, unit: Unit): string {
  const v = unit === 'ratio' ? x * 100 : x;
  const text = num(Math.abs(v), Math.abs(v) < 10 ? 2 : 1);
  return unit === 'ms' ? `${text} ms` : unit === 'ratio' ? `${text} pp` : text;
}

function statName(metric: string, e: Evidence): string {
  const what = metric.replace(/_(min|max)$/, '').replace(/_/g, ' ');
  if (/^p\d+$/.test(e.statistic)) return what.includes(e.statistic) ? what : `${what} ${e.statistic}`;
  if (e.statistic === 'mean' && !what.includes('mean')) return `mean ${what}`;
  return what;
}

/**
 * A verdict in plain words, from its evidence: e.g. "canary p95 latency is 31 ms higher than
 * stable, 95% always-valid interval [22, 40] ms, n = 412 canary / 3,688 stable → fail".
 */
export function verdictWords(v: Verdict): string {
  const e = v.evidence;
  const unit = unitOf(v.metric, e);
  const name = statName(v.metric, e);
  const n = `n = ${count(e.n.canary)} canary / ${count(e.n.stable)} stable`;
  const parts: string[] = [];
  if (e.method === 'threshold') {
    const c = e.estimate.canary;
    parts.push(c === null ? `canary ${name}: no data yet` : `canary ${name} is ${amount(c, unit)}`);
    if (e.threshold !== undefined) parts[0] += ` (limit ${amount(e.threshold, unit)})`;
  } else if (e.effect.absolute !== null) {
    const d = e.effect.absolute;
    const direction = d === 0 ? 'the same as' : `${diffAmount(d, unit)} ${d > 0 ? 'higher' : 'lower'} than`;
    parts.push(`canary ${name} is ${direction} stable`);
    if (e.interval) {
      const kind = e.method.startsWith('msprt') ? 'always-valid interval' : 'confidence interval';
      const lo = unit === 'ratio' ? e.interval.lower * 100 : e.interval.lower;
      const hi = unit === 'ratio' ? e.interval.upper * 100 : e.interval.upper;
      const digits = Math.max(Math.abs(lo), Math.abs(hi)) < 10 ? 2 : 1;
      parts.push(`${num(e.interval.level * 100, 1)}% ${kind} [${num(lo, digits)}, ${num(hi, digits)}]${unit === 'ms' ? ' ms' : unit === 'ratio' ? ' pp' : ''}`);
    }
  } else {
    parts.push(`canary ${name}: not enough data to compare`);
  }
  if (e.p_value !== undefined && !e.interval) parts.push(`p = ${e.p_value < 0.0001 ? e.p_value.toExponential(1) : num(e.p_value, 4)}`);
  parts.push(n);
  if (e.needed && v.status === 'inconclusive' && (e.needed.canary > 0 || e.needed.stable > 0)) {
    parts.push(`needs ${count(e.needed.canary)} more canary and ${count(e.needed.stable)} more stable`);
  }
  return `${parts.join(', ')} → ${v.status}`;
}

/** "40% wrong answers, 200 ms delay, 5% errors". */
export function faultWords(f: Fault): string {
  const delay = Array.isArray(f.delay_ms) ? `${f.delay_ms[0]}–${f.delay_ms[1]} ms delay` : f.delay_ms > 0 ? `${f.delay_ms} ms delay` : '';
  return [f.wrong > 0 ? `${num(f.wrong * 100)}% wrong answers` : '', delay, f.errors > 0 ? `${num(f.errors * 100)}% errors` : ''].filter(Boolean).join(', ');
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${num(n / 1024, 1)} KiB`;
  return `${num(n / 1024 / 1024, 1)} MiB`;
}
