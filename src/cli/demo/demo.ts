import type { ApiClient, DecisionInfo, RolloutInfo } from '../api-client.js';
import { sendTraffic } from '../commands/send-command.js';
import { metricsTable, table } from '../format.js';

export type Workflow = 'full' | 'deploy' | 'promote';

export interface DemoOptions {
  readonly client: ApiClient;
  readonly model: string;
  readonly workflow: Workflow;
  /** Labelled requests per traffic burst. */
  readonly requests: number;
  readonly seed: number;
  readonly progress: boolean;
  readonly out: (text: string) => void;
}

export interface WorkflowResult {
  readonly workflow: 'deploy' | 'promote';
  readonly outcome: 'rolled back' | 'promoted' | 'undecided';
  readonly phase: string;
  readonly steps: number;
  readonly requests: number;
  readonly reason: string;
}

/** Keys spread over many users, so routing is sticky and the same seed tells the same story. */
const KEYS = 5000;
const MAX_REQUESTS = 40_000;
/** The demo's rollout: three steps, judged every second by the default analysis. */
const DEMO_SPEC = { canary: 2, steps: [20, 50, 100], interval: '1s', bake: '1s', minSamples: 100 };
const TERMINAL = new Set(['succeeded', 'rolled_back', 'failed']);

/** Puts the example at its starting point: v1 stable, no canary, metrics and faults cleared. */
async function prepare(o: DemoOptions): Promise<void> {
  const info = await o.client.getModel(o.model);
  if (info.versions.length < 2) throw new Error(`the demo needs model ${o.model} with two versions; run \`coalmine models example\` first`);
  const running = await o.client.rollout(o.model).catch(() => undefined);
  if (running && !TERMINAL.has(running.phase)) await o.client.rolloutCommand(o.model, 'abort', { reason: 'demo: starting over' });
  if ((await o.client.getModel(o.model)).stable_version !== 1) {
    await o.client.deploy(o.model, 1, 0);
    await o.client.promote(o.model);
  }
  if ((await o.client.getModel(o.model)).canary_version !== null) await o.client.rollback(o.model, 'demo: starting over');
  await o.client.reset(o.model);
}

function decisionText(d: DecisionInfo): string {
  const mark = d.action === 'rollback' || d.action === 'fail' ? '🚨' : d.action === 'advance' || d.action === 'promote' || d.action === 'succeed' ? '✅' : d.action === 'hold' ? '⏳' : '▶';
  const lines = [`${mark} step ${d.step} at ${d.weight}%: ${d.action} — ${d.reason}`];
  if (d.analysis && d.action !== 'hold') {
    for (const v of d.analysis.verdicts) lines.push(`     ${v.status === 'pass' ? '✔' : v.status === 'fail' ? '✖' : '…'} ${v.metric}: ${v.reason}`);
  }
  return lines.join('\n');
}

/** Sends traffic and narrates the rollout's decisions until it ends. */
async function follow(o: DemoOptions, seedBase: number): Promise<{ rollout: RolloutInfo; requests: number }> {
  let seen = 0;
  let sent = 0;
  let burst = 0;
  const narrate = async () => {
    const history = await o.client.rolloutHistory(o.model);
    for (const d of history.decisions.slice(seen)) {
      if (d.action === 'hold' && d.analysis?.status !== 'fail') continue;
      o.out(decisionText(d));
      if (d.action === 'advance' || d.action === 'rollback' || d.action === 'promote') o.out(metricsTable(await o.client.metrics(o.model)));
    }
    seen = history.decisions.length;
    return o.client.rollout(o.model);
  };
  let r = await narrate();
  while (!TERMINAL.has(r.phase) && sent < MAX_REQUESTS) {
    await sendTraffic(o.client, o.model, o.requests, { concurrency: 16, keys: KEYS, seed: seedBase + burst++ });
    sent += o.requests;
    if (o.progress) process.stderr.write(`\r  ${sent.toLocaleString('en-US')} labelled requests sent   `);
    r = await narrate();
  }
  if (o.progress) process.stderr.write('\n');
  for (let i = 0; i < 20 && !TERMINAL.has(r.phase); i++) {
    await new Promise((res) => setTimeout(res, 250));
    r = await narrate();
  }
  return { rollout: r, requests: sent };
}

async function workflow(o: DemoOptions, kind: 'deploy' | 'promote'): Promise<WorkflowResult> {
  if (kind === 'deploy') {
    o.out('\n━━ Workflow 1: a canary that degrades is caught and rolled back ━━');
  } else {
    o.out('\n━━ Workflow 2: a healthy canary is promoted step by step ━━');
  }
  await prepare(o);
  if (kind === 'deploy') await o.client.setFault(o.model, { variant: 'canary', wrong: 0.4 });
  await o.client.rolloutStart(o.model, DEMO_SPEC);
  o.out(
    kind === 'deploy'
      ? `Rolling out v2 in steps of ${DEMO_SPEC.steps.join('% → ')}%, with a fault: it answers wrong 40% of the time (the lab's "simulate failure").`
      : `Rolling out v2 (more accurate on held-out data) in steps of ${DEMO_SPEC.steps.join('% → ')}%, no faults.`,
  );
  o.out(`Each second the controller judges the current step (error rate, latency, accuracy from the labels; sample-ratio check first).`);
  const { rollout, requests } = await follow(o, o.seed + (kind === 'deploy' ? 0 : 1000));
  if (kind === 'deploy') await o.client.setFault(o.model, { clear: true });
  const outcome = rollout.phase === 'rolled_back' ? 'rolled back' : rollout.phase === 'succeeded' ? 'promoted' : 'undecided';
  o.out(outcome === 'rolled back' ? `\n🚨 Rolled back at step ${rollout.step}: ${rollout.reason}` : outcome === 'promoted' ? '\n✅ Promoted: every step passed its analysis, so v2 is the new stable version.' : `\nNo decision within ${MAX_REQUESTS} requests.`);
  return { workflow: kind, outcome, phase: rollout.phase, steps: rollout.step, requests, reason: rollout.last_decision?.reason ?? '' };
}

export function summaryText(results: readonly WorkflowResult[]): string {
  const t = table(['workflow', 'outcome', 'reached step', 'requests']);
  for (const r of results) t.push([r.workflow === 'deploy' ? 'degraded canary' : 'healthy canary', r.outcome, r.steps, r.requests]);
  return `\nSummary (\`coalmine rollout report\` has the full timeline)\n${t.toString()}`;
}

/** The seeds' demo, on coalmine: a progressive rollout decides, and says why. */
export async function runDemo(o: DemoOptions): Promise<WorkflowResult[]> {
  const results: WorkflowResult[] = [];
  if (o.workflow !== 'promote') results.push(await workflow(o, 'deploy'));
  if (o.workflow !== 'deploy') results.push(await workflow(o, 'promote'));
  o.out(summaryText(results));
  return results;
}
