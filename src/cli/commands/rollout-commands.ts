import type { Command } from 'commander';
import type { ApiClient, RolloutInfo } from '../api-client.js';
import { context, parsePositiveInt, print, readYamlFile } from '../cli-context.js';

const TERMINAL = new Set(['succeeded', 'rolled_back', 'failed']);

/** A step bar: done steps filled, the current one marked, the rest empty. */
export function stepBar(r: RolloutInfo): string {
  return r.spec.steps
    .map((s, i) => {
      const label = s.pause ? '⏸' : `${s.weight}%`;
      if (r.phase === 'succeeded' || i < r.step - 1) return `[■ ${label}]`;
      if (i === r.step - 1 && !TERMINAL.has(r.phase)) return `[▶ ${label}]`;
      return `[  ${label}]`;
    })
    .join('─');
}

/** Where the rollout stands; once it has ended, how it ended rather than a step it no longer holds. */
function whereText(r: RolloutInfo): string {
  const passed = `${r.steps_passed} of ${r.steps_total} steps passed their analysis`;
  if (r.phase === 'succeeded') return `promoted: v${r.canary_version} takes 100% (${passed})`;
  if (r.phase === 'promoting') return `promoting v${r.canary_version} to 100% (${passed})`;
  if (r.phase === 'rolled_back' || r.phase === 'failed') return `stopped at step ${r.step}/${r.steps_total}: canary 0%, all traffic on stable v${r.stable_version}`;
  return `step ${r.step}/${r.steps_total}: canary ${r.weight}%, stable ${100 - r.weight}%`;
}

export function rolloutText(r: RolloutInfo, now = Date.now()): string {
  const next = r.next_analysis_at ? Math.max(0, Math.round((Date.parse(r.next_analysis_at) - now) / 1000)) : null;
  const lines = [
    `rollout of ${r.model} v${r.canary_version} (stable v${r.stable_version}) — ${r.phase.toUpperCase()}${r.attempt > 1 ? ` (attempt ${r.attempt})` : ''}`,
    `  ${stepBar(r)}`,
    `  ${whereText(r)}${next !== null && r.phase === 'progressing' ? `; next analysis in ${next}s` : ''}`,
  ];
  // Older servers send neither field.
  const t = r.traffic as RolloutInfo['traffic'] | undefined;
  if (t && t.router !== 'builtin') {
    const rounded = t.effective_weight !== t.weight ? ` (${t.effective_weight}% on its scale)` : '';
    const weights = t.proxy_weights ? `, weights stable ${t.proxy_weights.stable} / canary ${t.proxy_weights.canary}` : '';
    lines.push(`  traffic: ${t.where}${weights}${rounded}`);
  }
  const m = r.metrics as RolloutInfo['metrics'] | undefined;
  if (m && m.provider !== 'builtin') lines.push(`  measured by ${m.provider} at ${m.url}${m.preset ? ` (preset ${m.preset})` : ''}${r.consecutive_errors > 0 ? `; ${r.consecutive_errors} measurement error(s) in a row of ${m.error_limit} tolerated` : ''}`);
  if (r.reason) lines.push(`  reason: ${r.reason}`);
  const d = r.last_decision;
  if (d) {
    lines.push(`  last decision (${d.at}): ${d.action} — ${d.reason}`);
    for (const v of d.analysis?.verdicts ?? []) {
      lines.push(`    ${v.status === 'pass' ? '✔' : v.status === 'fail' ? '✖' : '…'} ${v.metric}: ${v.reason}`);
      // The PromQL behind a failed verdict, so the numbers can be checked in Prometheus itself.
      const queries = (v.evidence as { queries?: Record<string, { stable: string; canary: string }> }).queries;
      if (v.status === 'fail' && queries) for (const [name, q] of Object.entries(queries)) lines.push(`        ${name} (canary): ${q.canary}`);
    }
  }
  return lines.join('\n');
}

function parseSteps(raw: string): number[] {
  const steps = raw.split(',').map((x) => Number(x.trim().replace(/%$/, '')));
  if (steps.length === 0 || steps.some((x) => !Number.isFinite(x))) throw new Error(`--steps "${raw}" must be weights separated by commas, e.g. 5,10,25,50,100`);
  return steps;
}

async function watch(client: ApiClient, model: string, json: boolean): Promise<void> {
  let last = '';
  for (;;) {
    const r = await client.rollout(model);
    const text = json ? JSON.stringify(r) : rolloutText(r);
    if (process.stdout.isTTY && !json) process.stdout.write(`\x1b[2J\x1b[H${text}\n\n(watching; Ctrl+C to stop)\n`);
    else if (text !== last) console.log(text);
    last = text;
    if (TERMINAL.has(r.phase)) return;
    await new Promise((res) => setTimeout(res, 1000));
  }
}

export function rolloutCommands(program: Command): void {
  const rollout = program.command('rollout').description('progressive rollouts: ramp a canary step by step, judged by the analysis');

  rollout
    .command('start <version>')
    .description('start a rollout of a registered version')
    .option('--steps <weights>', 'canary weights per step, e.g. 5,10,25,50,100 (default: 5% then +10%)')
    .option('--interval <duration>', 'time between analyses, e.g. 30s')
    .option('--bake <duration>', 'time each step holds before it may advance (default: the interval)')
    .option('--min-samples <n>', 'canary requests each step needs before it may advance')
    .option('--spec <file>', 'a rollout spec in JSON or YAML (other options add to it)')
    .action(async (version: string, opts: { steps?: string; interval?: string; bake?: string; minSamples?: string; spec?: string }, cmd: Command) => {
      const { client, model, json } = context(cmd);
      const v = parsePositiveInt(version.replace(/^v/i, ''), 'version');
      const extra = {
        canary: v,
        ...(opts.steps ? { steps: parseSteps(opts.steps) } : {}),
        ...(opts.interval ? { interval: opts.interval } : {}),
        ...(opts.bake ? { bake: opts.bake } : {}),
        ...(opts.minSamples ? { minSamples: parsePositiveInt(opts.minSamples, '--min-samples') } : {}),
      };
      let r: RolloutInfo;
      if (opts.spec) {
        const fromFile = (await readYamlFile(opts.spec, 'the rollout spec')) as Record<string, unknown>;
        r = await client.rolloutStart(model, { ...fromFile, ...extra });
      } else {
        r = await client.rolloutStart(model, extra);
      }
      print(json, r, () => rolloutText(r));
    });

  rollout
    .command('status')
    .description('phase, step, weights, the latest verdicts and the next decision time')
    .option('-w, --watch', 'keep the view live until the rollout ends')
    .action(async (opts: { watch?: boolean }, cmd: Command) => {
      const { client, model, json } = context(cmd);
      if (opts.watch) return watch(client, model, json);
      const r = await client.rollout(model);
      print(json, r, () => rolloutText(r));
    });

  for (const [name, description] of [
    ['pause', 'hold the rollout at its current step'],
    ['resume', 'continue a paused rollout (past a manual gate, to the next step)'],
    ['retry', 'start a rolled-back or failed rollout again from its first step'],
  ] as const) {
    rollout
      .command(name)
      .description(description)
      .action(async (_opts, cmd: Command) => {
        const { client, model, json } = context(cmd);
        const r = await client.rolloutCommand(model, name);
        print(json, r, () => rolloutText(r));
      });
  }

  rollout
    .command('promote')
    .description('advance to the next step now (--full: promote the canary, skipping the remaining steps)')
    .option('--full', 'skip all remaining steps')
    .action(async (opts: { full?: boolean }, cmd: Command) => {
      const { client, model, json } = context(cmd);
      const r = await client.rolloutCommand(model, 'promote', opts.full ? { full: true } : undefined);
      print(json, r, () => rolloutText(r));
    });

  rollout
    .command('abort')
    .description('roll the canary back now')
    .option('-r, --reason <text>', 'why, for the history')
    .action(async (opts: { reason?: string }, cmd: Command) => {
      const { client, model, json } = context(cmd);
      const r = await client.rolloutCommand(model, 'abort', opts.reason ? { reason: opts.reason } : undefined);
      print(json, r, () => rolloutText(r));
    });

  rollout
    .command('history')
    .description('every decision of the current rollout, with its reason')
    .action(async (_opts, cmd: Command) => {
      const { client, model, json } = context(cmd);
      const h = await client.rolloutHistory(model);
      print(json, h, () => h.decisions.map((d) => `${d.at}  step ${d.step} ${String(d.weight).padStart(5)}%  ${d.action.padEnd(8)} ${d.actor.padEnd(10)} ${d.reason}`).join('\n'));
    });

  rollout
    .command('report')
    .description('the report of the current or last rollout (Markdown, or --json)')
    .action(async (_opts, cmd: Command) => {
      const { client, model, json } = context(cmd);
      if (json) console.log(JSON.stringify(await client.rolloutReport(model), null, 2));
      else console.log(await client.rolloutReportMarkdown(model));
    });
}
