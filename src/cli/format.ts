import Table from 'cli-table3';
import type { EventInfo, ModelInfo, ModelSummary } from './api-client.js';

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
    t.push([variant, `v${v.version}`, pct(weight), v.status, v.signature.task, metricText(v.metrics), v.load_error ?? v.description]);
  }
  const lines = [`model ${m.name}  (revision ${m.revision}, updated ${m.updated_at})`, t.toString()];
  if (m.previous_stable_version !== null) lines.push(`previous stable: v${m.previous_stable_version}`);
  if (events.length > 0) {
    lines.push('recent changes:');
    for (const e of events) lines.push(`  ${e.at}  ${e.action.padEnd(10)} ${e.reason}`);
  }
  return lines.join('\n');
}

export function versionsTable(m: ModelInfo): string {
  const t = table(['version', 'role', 'status', 'task', 'features', 'metrics', 'created', 'source'], { wordWrap: true });
  for (const v of m.versions) {
    t.push([`v${v.version}`, v.role ?? '', v.status, v.signature.task, v.signature.input.features ?? 'any', metricText(v.metrics), v.created_at, v.source]);
  }
  return t.toString();
}
