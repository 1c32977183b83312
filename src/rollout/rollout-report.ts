import { analysedStep, decidedStep, type Decision, type Rollout } from '../domain/index.js';

/**
 * How a step ended: its analysis passed (and the rollout moved on), failed, someone moved past it,
 * it is a manual gate, it is the 100% step (reaching it is the promotion, so it is never analysed),
 * it is where the rollout stands now, where it was stopped (aborted, timed out, the canary would not
 * load), or it was not reached.
 */
export type StepResult = 'passed' | 'failed' | 'skipped by user' | 'gate passed' | 'promotion' | 'current' | 'stopped here' | 'not reached';

export interface StepSummary {
  readonly step: number;
  readonly weight: number;
  readonly result: StepResult;
  readonly analyses: number;
  readonly last_status: string | null;
  readonly n: { readonly stable: number; readonly canary: number } | null;
  /** `queries`: the PromQL behind the numbers, per query and variant, when Prometheus measured the step. */
  readonly verdicts: readonly { readonly metric: string; readonly status: string; readonly reason: string; readonly queries?: Readonly<Record<string, { readonly stable: string; readonly canary: string }>> }[];
}

export interface RolloutReport {
  readonly rollout: string;
  readonly model: string;
  readonly canary_version: number;
  readonly stable_version: number;
  readonly phase: string;
  readonly outcome: string;
  readonly started_at: string;
  readonly ended_at: string | null;
  readonly duration_s: number;
  readonly attempt: number;
  /** Steps whose own analysis passed and moved the rollout on. */
  readonly steps_passed: number;
  readonly steps: readonly StepSummary[];
  readonly timeline: readonly { readonly at: string; readonly step: number; readonly weight: number; readonly action: string; readonly actor: string; readonly reason: string }[];
}

const TERMINAL = new Set(['succeeded', 'rolled_back', 'failed']);

type Analysed = Decision & { analysis: NonNullable<Decision['analysis']> };

/** The history of the current attempt: a retry starts the steps over. */
function currentAttempt(r: Rollout): readonly Decision[] {
  const retry = r.history.findLastIndex((d) => d.action === 'retry');
  return retry === -1 ? r.history : r.history.slice(retry);
}

/** The step a decision moved away from, if it moved the rollout on. */
const leftStep = (d: Decision): number | null => (d.action === 'advance' || d.action === 'promote' ? decidedStep(d) : null);

function resultOf(r: Rollout, history: readonly Decision[], i: number, analysed: readonly Analysed[]): StepResult {
  const step = r.spec.steps[i]!;
  const promoted = r.phase === 'succeeded' || r.phase === 'promoting';
  const moved = history.find((d) => leftStep(d) === i);
  if (moved?.actor === 'controller' && moved.analysis?.status === 'pass') return 'passed';
  if (analysed.some((d) => d.action === 'rollback')) return 'failed';
  if (moved) return step.pause ? 'gate passed' : 'skipped by user';
  if (step.weightBp >= 10_000 && !step.pause) return promoted ? 'promotion' : 'not reached';
  if (promoted && i > r.stepIndex) return 'skipped by user';
  if (i === r.stepIndex && (r.phase === 'rolled_back' || r.phase === 'failed')) return 'stopped here';
  return i === r.stepIndex && !TERMINAL.has(r.phase) ? 'current' : 'not reached';
}

function stepSummaries(r: Rollout): StepSummary[] {
  const history = currentAttempt(r);
  return r.spec.steps.map((s, i) => {
    const analysed = history.filter((d): d is Analysed => d.analysis !== undefined && analysedStep(d) === i);
    const last = analysed.at(-1);
    return {
      step: i + 1,
      weight: s.weightBp / 100,
      result: resultOf(r, history, i, analysed),
      analyses: analysed.length,
      last_status: last?.analysis.status ?? null,
      n: last?.analysis.n ?? null,
      verdicts: (last?.analysis.verdicts ?? []).map((v) => ({ metric: v.metric, status: v.status, reason: v.reason, ...(v.evidence.queries ? { queries: v.evidence.queries } : {}) })),
    };
  });
}

/** Steps whose own analysis passed and moved the rollout on (the current attempt's). */
export function stepsPassed(r: Rollout): number {
  return stepSummaries(r).filter((s) => s.result === 'passed').length;
}

/** The report of a rollout: outcome and why, metrics per step, and the timeline of every decision. */
export function rolloutReport(r: Rollout, now: number): RolloutReport {
  const steps = stepSummaries(r);
  const ended = TERMINAL.has(r.phase) ? r.updatedAt : null;
  return {
    rollout: r.id,
    model: r.model,
    canary_version: r.spec.canaryVersion,
    stable_version: r.stableVersion,
    phase: r.phase,
    outcome: r.history.at(-1)?.reason ?? 'not started',
    started_at: r.startedAt,
    ended_at: ended,
    duration_s: Math.round(((ended ? Date.parse(ended) : now) - Date.parse(r.startedAt)) / 1000),
    attempt: r.attempt,
    steps_passed: steps.filter((s) => s.result === 'passed').length,
    steps,
    timeline: r.history.map((d) => ({ at: d.at, step: d.step + 1, weight: d.weightBp / 100, action: d.action, actor: d.actor, reason: d.reason })),
  };
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function reportMarkdown(rep: RolloutReport): string {
  const lines = [
    `# Rollout of ${rep.model} v${rep.canary_version} (stable v${rep.stable_version})`,
    '',
    `- **Phase:** ${rep.phase}`,
    `- **Outcome:** ${cell(rep.outcome)}`,
    `- **Started:** ${rep.started_at}${rep.ended_at ? `; ended ${rep.ended_at}` : ''} (${rep.duration_s} s, attempt ${rep.attempt})`,
    '',
    '## Steps',
    '',
    '| step | weight | result | analyses | last verdict | n stable/canary |',
    '|---|---|---|---|---|---|',
    ...rep.steps.map((s) => `| ${s.step} | ${s.weight}% | ${s.result} | ${s.analyses} | ${s.last_status ?? '-'} | ${s.n ? `${s.n.stable}/${s.n.canary}` : '-'} |`),
    '',
  ];
  for (const s of rep.steps.filter((x) => x.verdicts.length > 0)) {
    lines.push(`### Step ${s.step} (${s.weight}%): last analysis`, '');
    for (const v of s.verdicts) {
      lines.push(`- **${v.metric}** ${v.status}: ${cell(v.reason)}`);
      for (const [name, q] of Object.entries(v.queries ?? {})) lines.push(`  - ${name}: \`${q.canary}\` (canary), \`${q.stable}\` (stable)`);
    }
    lines.push('');
  }
  lines.push('## Timeline', '', '| time | step | weight | action | by | reason |', '|---|---|---|---|---|---|');
  lines.push(...rep.timeline.map((t) => `| ${t.at} | ${t.step} | ${t.weight}% | ${t.action} | ${t.actor} | ${cell(t.reason)} |`));
  return `${lines.join('\n')}\n`;
}
