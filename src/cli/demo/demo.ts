import cliProgress from 'cli-progress';
import type { AnalysisInfo, ApiClient } from '../api-client.js';
import { metricsTable, table, verdictLines } from '../format.js';
import { sendTraffic } from '../commands/send-command.js';

export type Workflow = 'full' | 'deploy' | 'promote';

export interface DemoOptions {
  readonly client: ApiClient;
  readonly model: string;
  readonly workflow: Workflow;
  /** Labelled requests per round. */
  readonly requests: number;
  readonly seed: number;
  readonly progress: boolean;
  readonly out: (text: string) => void;
}

export interface WorkflowResult {
  readonly workflow: 'deploy' | 'promote';
  readonly outcome: 'rolled back' | 'promoted' | 'undecided';
  readonly rounds: number;
  readonly requests: number;
  readonly reason: string;
}

const MAX_ROUNDS = 10;
/** Keys spread over many users, so routing is sticky and the same seed tells the same story. */
const KEYS = 5000;

/** Puts the example back to its starting point: v1 stable, v2 canary at 20%, metrics and faults cleared. */
async function prepare(o: DemoOptions): Promise<void> {
  const info = await o.client.getModel(o.model);
  if (info.versions.length < 2) throw new Error(`the demo needs model ${o.model} with two versions; run \`coalmine models example\` first`);
  if (info.stable_version !== 1) {
    if (info.canary_version !== 1) await o.client.deploy(o.model, 1, 0);
    await o.client.promote(o.model);
  }
  await o.client.deploy(o.model, 2, 20);
  await o.client.reset(o.model);
}

async function round(o: DemoOptions, n: number, seed: number): Promise<AnalysisInfo> {
  const bar = o.progress ? new cliProgress.SingleBar({ format: '  traffic [{bar}] {value}/{total}', clearOnComplete: true }, cliProgress.Presets.shades_classic) : undefined;
  bar?.start(n, 0);
  await sendTraffic(o.client, o.model, n, { concurrency: 16, keys: KEYS, seed, onProgress: (d) => bar?.update(d) });
  bar?.stop();
  o.out(metricsTable(await o.client.metrics(o.model)));
  const analysis = await o.client.analysis(o.model);
  o.out(`  verdicts (${analysis.status}):\n${verdictLines(analysis.verdicts)}`);
  return analysis;
}

async function deployWorkflow(o: DemoOptions): Promise<WorkflowResult> {
  o.out('\n━━ Workflow 1: a canary that degrades is caught and rolled back ━━');
  await prepare(o);
  await o.client.setFault(o.model, { variant: 'canary', wrong: 0.4 });
  o.out(`Deployed v2 as the canary at 20% and made it answer wrong 40% of the time (the lab's "simulate failure").`);
  for (let r = 1; r <= MAX_ROUNDS; r++) {
    o.out(`\nRound ${r}: ${o.requests} labelled requests`);
    const a = await round(o, o.requests, o.seed + r);
    if (a.status === 'fail') {
      const reason = a.verdicts.filter((v) => v.status === 'fail').map((v) => v.metric).join(', ');
      await o.client.rollback(o.model, `demo: analysis failed on ${reason}`);
      await o.client.setFault(o.model, { clear: true });
      o.out(`\n🚨 Rolled back: the canary failed on ${reason}. All traffic is on stable v1 again.`);
      return { workflow: 'deploy', outcome: 'rolled back', rounds: r, requests: r * o.requests, reason: a.reason };
    }
    if (a.status === 'pass') o.out('  (the analysis passed this round; sending more traffic)');
  }
  await o.client.setFault(o.model, { clear: true });
  return { workflow: 'deploy', outcome: 'undecided', rounds: MAX_ROUNDS, requests: MAX_ROUNDS * o.requests, reason: 'no verdict within the rounds allowed' };
}

async function promoteWorkflow(o: DemoOptions): Promise<WorkflowResult> {
  o.out('\n━━ Workflow 2: a healthy canary passes its checks and is promoted ━━');
  await prepare(o);
  o.out('Deployed v2 (more accurate on held-out data) as the canary at 20%, no faults.');
  for (let r = 1; r <= MAX_ROUNDS; r++) {
    o.out(`\nRound ${r}: ${o.requests} labelled requests`);
    const a = await round(o, o.requests, o.seed + 100 + r);
    if (a.status === 'pass') {
      await o.client.promote(o.model);
      o.out('\n✅ Promoted: every required check passed, so v2 is the new stable version.');
      return { workflow: 'promote', outcome: 'promoted', rounds: r, requests: r * o.requests, reason: a.reason };
    }
    if (a.status === 'fail') {
      await o.client.rollback(o.model, 'demo: analysis failed');
      return { workflow: 'promote', outcome: 'rolled back', rounds: r, requests: r * o.requests, reason: a.reason };
    }
    o.out('  Not enough evidence yet to promote safely; the sequential checks ask for more traffic.');
  }
  return { workflow: 'promote', outcome: 'undecided', rounds: MAX_ROUNDS, requests: MAX_ROUNDS * o.requests, reason: 'no verdict within the rounds allowed' };
}

export function summaryText(results: readonly WorkflowResult[]): string {
  const t = table(['workflow', 'outcome', 'rounds', 'requests']);
  for (const r of results) t.push([r.workflow === 'deploy' ? 'degraded canary' : 'healthy canary', r.outcome, r.rounds, r.requests]);
  return `\nSummary\n${t.toString()}`;
}

/** The seeds' demo, on coalmine: deploy a canary, watch it, and let the analysis decide. */
export async function runDemo(o: DemoOptions): Promise<WorkflowResult[]> {
  const results: WorkflowResult[] = [];
  if (o.workflow !== 'promote') results.push(await deployWorkflow(o));
  if (o.workflow !== 'deploy') results.push(await promoteWorkflow(o));
  o.out(summaryText(results));
  return results;
}
