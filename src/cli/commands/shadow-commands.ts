import type { Command } from 'commander';
import type { ShadowComparisonInfo, ShadowStatusInfo } from '../api-client.js';
import { context, parsePositiveInt, print, readYamlFile } from '../cli-context.js';
import { table } from '../format.js';
import { rolloutText } from './rollout-commands.js';

const pct = (x: number | null | undefined, digits = 1) => (x === null || x === undefined ? '-' : `${(x * 100).toFixed(digits)}%`);
const num = (x: number | null | undefined, digits = 3) => (x === null || x === undefined ? '-' : x.toFixed(digits));
const mark = (status: string) => (status === 'pass' ? '✔' : status === 'fail' ? '✖' : '…');

export function shadowText(s: ShadowStatusInfo): string {
  if (!s.session) return `${s.model}: no shadow has run; start one with: coalmine --model ${s.model} shadow start <version>`;
  const x = s.session;
  const lines = [
    `shadow of ${s.model}: v${x.version} beside stable v${x.primary_version}, ${x.sample}% of traffic — ${s.running ? 'RUNNING' : `STOPPED ${x.stopped_at ?? ''}`}`,
    `  since ${x.started_at}${s.running ? `; ${s.in_flight} call(s) in flight here` : ''}`,
  ];
  const m = s.metrics;
  if (m) {
    lines.push(`  sampled ${m.offered}, dropped ${m.dropped} (in-flight limit)${m.shed > 0 ? `, shed ${m.shed} (server saturated)` : ''}, answered ${m.answered}, failed ${m.errors}${m.error_rate !== null ? ` (${pct(m.error_rate)})` : ''}; ${m.rows} row(s) compared`);
    if (m.agreement) lines.push(`  agreement ${pct(m.agreement.rate)} (${pct(m.agreement.lower)}–${pct(m.agreement.upper)}) of ${m.agreement.n} rows`);
    lines.push(`  |Δ probability| mean ${num(m.abs_delta.mean)}, p95 ${num(m.abs_delta.p95)}; score PSI ${num(m.psi)}`);
    const l = m.latency;
    lines.push(`  latency primary p50 ${num(l.primary.p50_ms, 1)} / p99 ${num(l.primary.p99_ms, 1)} ms, shadow p50 ${num(l.shadow.p50_ms, 1)} / p99 ${num(l.shadow.p99_ms, 1)} ms`);
    const a = m.accuracy;
    if (a && 'primary' in a) lines.push(`  accuracy on ${a.labelled} labelled: primary ${pct(a.primary)}, shadow ${pct(a.shadow)} (primary alone right ${a.primary_only}, shadow alone right ${a.shadow_only})`);
    else if (a) lines.push(`  mean absolute error on ${a.labelled} labelled: primary ${num(a.primary_mae)}, shadow ${num(a.shadow_mae)}`);
    else lines.push('  accuracy: no labels yet (POST /v1/feedback joins a label to both answers)');
  }
  if (s.verdict) {
    lines.push(`  verdict: ${s.verdict.status.toUpperCase()} — ${s.verdict.reason}`);
    for (const c of s.verdict.checks) lines.push(`    ${mark(c.status)} ${c.check}: ${c.reason}`);
  }
  if (s.reported) lines.push(`  last reported: ${s.reported.status} at ${s.reported.at}`);
  return lines.join('\n');
}

function comparisonsText(rows: ShadowComparisonInfo[]): string {
  if (rows.length === 0) return 'no comparisons';
  const t = table(['request id', 'row', 'primary', 'shadow', '|Δp|', 'agree', 'label', 'ms (primary / shadow)']);
  for (const c of rows) {
    const p = `v${c.primary.version}: ${c.primary.prediction}${c.primary.probability !== null ? ` (${c.primary.probability.toFixed(3)})` : ''}`;
    const sh = c.shadow.error ? `v${c.shadow.version}: ${c.shadow.error.slice(0, 40)}` : `v${c.shadow.version}: ${c.shadow.prediction}${c.shadow.probability !== null ? ` (${c.shadow.probability.toFixed(3)})` : ''}`;
    t.push([c.request_id, c.row, p, sh, num(c.abs_delta), c.agree === null ? '-' : c.agree ? 'yes' : 'no', c.label ?? '-', `${num(c.primary.latency_ms, 1)} / ${num(c.shadow.latency_ms, 1)}`]);
  }
  return t.toString();
}

/** `coalmine shadow`: score a version on a copy of live traffic, compare it output by output, and promote it (docs/shadow.md). */
export function shadowCommands(program: Command): void {
  const shadow = program.command('shadow').description("score a version on a copy of live traffic after every reply, compared output by output with the primary's");

  shadow
    .command('start <version>')
    .description('start shadowing a registered version (neither stable nor canary)')
    .option('--sample <share>', 'share of requests copied to the shadow, e.g. 100% or 25%', '100%')
    .option('--min-agreement <rate>', 'least share of rows whose class must match the primary (default 0.9)')
    .option('--max-error-rate <rate>', 'most share of shadow calls that may fail (default 0.01)')
    .option('--spec <file>', 'YAML or JSON with policy: and webhooks: (other options add to it)')
    .action(async (version: string, opts: { sample: string; minAgreement?: string; maxErrorRate?: string; spec?: string }, cmd: Command) => {
      const { client, model, json } = context(cmd);
      const fromFile = opts.spec ? ((await readYamlFile(opts.spec, 'the shadow spec')) as Record<string, unknown>) : {};
      const policy = {
        ...((fromFile.policy as Record<string, unknown> | undefined) ?? {}),
        ...(opts.minAgreement !== undefined ? { minAgreement: Number(opts.minAgreement) } : {}),
        ...(opts.maxErrorRate !== undefined ? { maxErrorRate: Number(opts.maxErrorRate) } : {}),
      };
      const body = { ...fromFile, version: parsePositiveInt(version.replace(/^v/i, ''), 'version'), sample: opts.sample, ...(Object.keys(policy).length > 0 ? { policy } : {}) };
      const s = await client.shadowStart(model, body);
      print(json, s, () => shadowText(s));
    });

  shadow
    .command('status')
    .description('the running (or last) shadow: counts, agreement, |Δ probability|, latency, paired accuracy and its verdict')
    .action(async (_opts, cmd: Command) => {
      const { client, model, json } = context(cmd);
      const s = await client.shadowStatus(model);
      print(json, s, () => shadowText(s));
    });

  shadow
    .command('compare')
    .description('the latest per-request comparisons (--disagreeing: only rows whose classes differ or whose shadow failed)')
    .option('-n, --limit <n>', 'how many', '20')
    .option('--disagreeing', 'only disagreements and failures')
    .action(async (opts: { limit: string; disagreeing?: boolean }, cmd: Command) => {
      const { client, model, json } = context(cmd);
      const r = await client.shadowComparisons(model, parsePositiveInt(opts.limit, '--limit'), opts.disagreeing === true);
      print(json, r, () => comparisonsText(r.comparisons));
    });

  shadow
    .command('stop')
    .description('stop the shadow (its record and comparisons are kept)')
    .option('-r, --reason <text>', 'why, for the history')
    .action(async (opts: { reason?: string }, cmd: Command) => {
      const { client, model, json } = context(cmd);
      const s = await client.shadowStop(model, opts.reason);
      print(json, s, () => shadowText(s));
    });

  shadow
    .command('promote')
    .description("end the shadow and start a canary rollout of its version (refused when its verdict is fail, unless --force)")
    .option('--force', 'promote even though the verdict is fail')
    .option('--spec <file>', 'a rollout spec (JSON or YAML) for the canary rollout; its canary is the shadow version')
    .action(async (opts: { force?: boolean; spec?: string }, cmd: Command) => {
      const { client, model, json } = context(cmd);
      const rollout = opts.spec ? ((await readYamlFile(opts.spec, 'the rollout spec')) as Record<string, unknown>) : undefined;
      const r = await client.shadowPromote(model, { ...(opts.force ? { force: true } : {}), ...(rollout ? { rollout } : {}) });
      print(json, r, () => rolloutText(r));
    });
}
