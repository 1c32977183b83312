import type { Unit } from '../metric-sample.js';

/** Numbers as a person reads them in a verdict: "31.2 ms", "4.1%", "+2.3 pp", "n = 412/3,688". */
function sig(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const abs = Math.abs(x);
  if (abs >= 1000) return Math.round(x).toLocaleString('en-US');
  return Number(x.toPrecision(digits)).toString();
}

export function value(x: number | null, unit: Unit): string {
  if (x === null || Number.isNaN(x)) return 'n/a';
  if (unit === 'ratio') return `${sig(x * 100)}%`;
  if (unit === 'ms') return `${sig(x)} ms`;
  return sig(x);
}

/** The size of a difference, unsigned: percentage points for ratios. */
export function amount(x: number | null, unit: Unit): string {
  if (x === null || Number.isNaN(x)) return 'n/a';
  if (unit === 'ratio') return `${sig(Math.abs(x) * 100)} pp`;
  return value(Math.abs(x), unit);
}

/** A difference: signed, in percentage points for ratios. */
export function delta(x: number | null, unit: Unit): string {
  if (x === null || Number.isNaN(x)) return 'n/a';
  const sign = x > 0 ? '+' : x < 0 ? '−' : '±';
  const abs = Math.abs(x);
  if (unit === 'ratio') return `${sign}${sig(abs * 100)} pp`;
  return `${sign}${value(abs, unit)}`;
}

export function relative(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '';
  return ` (${x >= 0 ? '+' : '−'}${sig(Math.abs(x) * 100, 2)}%)`;
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

export function ns(stable: number, canary: number): string {
  return `n = ${count(stable)}/${count(canary)}`;
}

export function pValue(p: number): string {
  if (Number.isNaN(p)) return 'p = n/a';
  if (p < 1e-4) return `p = ${p.toExponential(1)}`;
  return `p = ${sig(p, 2)}`;
}

export function interval(lower: number, upper: number, unit: Unit): string {
  const f = (x: number) => (unit === 'ratio' ? `${sig(x * 100)}` : sig(x));
  const suffix = unit === 'ratio' ? ' pp' : unit === 'ms' ? ' ms' : '';
  return `[${f(lower)}, ${f(upper)}]${suffix}`;
}
