import Table from 'cli-table3';
import type { EventInfo, FaultInfo, MetricsInfo, ModelInfo, ModelSummary, RollbackCheckInfo, VariantMetricsInfo, VerdictInfo, VersionInfo } from './api-client.js';

const pct = (p: number): string => `${Number(p.toFixed(2))}%`;

/** Colour only for a terminal: piped output and logs stay plain text. */
export function table(head: string[], extra: Omit<Table.TableConstructorOptions, 'head' | 'style'> = {}): Table.Table {
  const tty = process.stdout.isTTY === true;
  return new Table({ head, style: tty ? { head: ['cyan'] } : { head: [], border: [] }, ...extra });
}

function metricText(metrics: Record<string, number>): string {
  const acc = metrics.accuracy;
  return acc === undefined ? '' : `accuracy ${(acc * 100).toFixed(1)}%`;
}

export function modelsTable(models: readonly ModelSummary[]): string {
  if (models.length === 0) return 'no models registered yet: `coalmine models example` creates the example model "churn"';
  const t = table(['model', 'versions', 'stable', 'canary', 'canary weight', 'updated']);
  for (const m of models) {
    t.push([m.name, m.versions, `v${m.stable_version}`, m.canary_version === null ? '-' : `v${m.canary_version}`, pct(m.canary_weight), m.updated_at]);
  }
  return t.toString();
}

export function statusText(m: ModelInfo, events: readonly EventInfo[] = []): string {
  const t = table(['variant', 'version', 'weight', 'status', 'task', 'metrics', 'description'], { wordWrap: true, colWidths: [10, 9, 9, 9, 19, 18, 50] });
  const byVersion = new Map(m.versions.map((v) => [v.version, v]));
  const rows: [string, number | null, number][] = [
    ['stable', m.stable_version, m.stable_weight],
    ['canary', m.canary_version, m.canary_weight],
  ];
  for (const [variant, version, weight] of rows) {
    const v = version === null ? undefined : byVersion.get(version);
    if (!v) {
      t.push([variant, '-', pct(0), '-', '-', '-', 'no canary deployed']);
      continue;
    }
    t.push([variant, `v${v.version}`, pct(weight), v.status, v.signature.task, metricText(v.metrics), v.load_error ?? v.not_ready ?? (v.upstream ? `${v.upstream.protocol} ${v.upstream.url}` : v.description)]);
  }
  const lines = [`model ${m.name}  (revision ${m.revision}, updated ${m.updated_at})`, t.toString()];
  const faults = faultText(m.faults ?? {});
  if (faults) lines.push(faults);
  if (m.previous_stable_version !== null) lines.push(`previous stable: v${m.previous_stable_version}`);
  if (events.length > 0) {
    lines.push('recent changes:');
    for (const e of events) lines.push(`  ${e.at}  ${e.action.padEnd(10)} ${e.reason}`);
  }
  return lines.join('\n');
}

/** `tenure float32[N, 1], plan string[N, 1]`; a width the model leaves open reads `?`. */
export function inputsText(inputs: VersionInfo['signature']['inputs']): string {
  const dims = (shape: number[]) => shape.map((d, i) => (i === 0 ? 'N' : d < 0 ? '?' : String(d))).join(', ');
  const shown = inputs.slice(0, 6).map((i) => `${i.name} ${i.type}[${dims(i.shape)}]`);
  return inputs.length > 6 ? `${shown.join(', ')}, … (${inputs.length} inputs)` : shown.join(', ');
}

export function versionsTable(m: ModelInfo): string {
  const t = table(['version', 'role', 'status', 'task', 'inputs', 'metrics', 'created', 'source'], { wordWrap: true });
  for (const v of m.versions) {
    const status = v.status === 'ready' ? v.status : `${v.status}: ${v.load_error ?? v.not_ready ?? ''}`;
    const source = v.upstream ? `${v.upstream.protocol} ${v.upstream.url}` : v.source;
    t.push([`v${v.version}`, v.role ?? '', status, v.signature.task, inputsText(v.signature.inputs), metricText(v.metrics), v.created_at, source]);
  }
  return t.toString();
}

const ms = (x: number | null): string => (x === null ? '-' : `${x < 10 ? x.toFixed(2) : x.toFixed(1)}ms`);
const percent = (x: number | null, digits = 1): string => (x === null ? '-' : `${(x * 100).toFixed(digits)}%`);

export function faultText(faults: Record<string, FaultInfo>): string {
  const parts = Object.entries(faults).map(([variant, f]) => {
    const bits = [
      f.wrong > 0 ? `${percent(f.wrong, 0)} wrong answers` : '',
      (Array.isArray(f.delay_ms) ? f.delay_ms[1] : f.delay_ms) > 0 ? `+${Array.isArray(f.delay_ms) ? `${f.delay_ms[0]}-${f.delay_ms[1]}` : f.delay_ms}ms latency` : '',
      f.errors > 0 ? `${percent(f.errors, 0)} errors` : '',
    ].filter(Boolean);
    return `${variant}: ${bits.join(', ')}`;
  });
  return parts.length === 0 ? '' : `⚠ fault injection is ON — ${parts.join('; ')}`;
}

/** The lab's metrics table: per variant requests, share next to weight, accuracy, latency, errors. */
export function metricsTable(m: MetricsInfo): string {
  const t = table(['variant', 'version', 'requests', 'share', 'weight', 'accuracy', 'avg latency', 'p95 latency', 'errors']);
  const row = (name: string, version: string, v: VariantMetricsInfo, weight: number) =>
    t.push([name, version, v.requests, v.share === null ? '-' : `${v.share.toFixed(1)}%`, `${weight}%`, v.labelled > 0 ? percent(v.accuracy) : '-', ms(v.latency_ms.mean), ms(v.latency_ms.p95), v.errors]);
  for (const variant of ['stable', 'canary'] as const) {
    const name = variant === 'stable' ? '🔵 stable' : '🟡 canary';
    // A row per version that served the variant in the window: never "v1,v2" folded into one.
    const served = m.by_version.filter((v) => v.variant === variant);
    const routed = variant === 'stable' ? m.stable_version : m.canary_version;
    if (served.length === 0) row(name, routed === null ? '-' : `v${routed}`, m.variants[variant], m.variants[variant].weight);
    for (const v of served) row(name, `v${v.version}${v.role_now !== null && v.role_now !== variant ? ` (now ${v.role_now})` : ''}`, v, v.weight);
  }
  const lines = [`model ${m.model} — since ${m.window.from}`, t.toString()];
  const faults = faultText(m.faults);
  if (faults) lines.push(faults);
  return lines.join('\n');
}

const MARK: Record<VerdictInfo['status'], string> = { pass: '✔', fail: '✖', inconclusive: '…' };

export function verdictLines(verdicts: readonly VerdictInfo[]): string {
  return verdicts.map((v) => `  ${MARK[v.status]} ${v.metric}${v.critical ? ' (critical)' : ''}: ${v.reason}`).join('\n');
}

/** The lab's rollback check, as `check-rollback` and `rollback --check` print it. */
export function rollbackCheckText(r: RollbackCheckInfo): string {
  return r.rollback_triggered ? `🚨 ${r.alert}\ncanary traffic is now ${r.canary_percentage}%` : `✔ ${r.message}`;
}
