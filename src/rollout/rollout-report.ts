import type { Decision, Rollout } from '../domain/index.js';

export interface StepSummary {
  readonly step: number;
  readonly weight: number;
  readonly analyses: number;
  readonly lastStatus: string | null;
  readonly n: { readonly stable: number; readonly canary: number } | null;
  readonly verdicts: readonly { readonly metric: string; readonly status: string; readonly reason: string }[];
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
  readonly steps: readonly StepSummary[];
  readonly timeline: readonly { readonly at: string; readonly step: number; readonly weight: number; readonly action: string; readonly actor: string; readonly reason: string }[];
}

const TERMINAL = new Set(['succeeded', 'rolled_back', 'failed']);

function stepSummaries(r: Rollout): StepSummary[] {
  return r.spec.steps.map((s, i) => {
    const analysed = r.history.filter((d): d is Decision & { analysis: NonNullable<Decision['analysis']> } => d.step === i && d.analysis !== undefined);
    const last = analysed.at(-1);
    return {
      step: i + 1,
      weight: s.weightBp / 100,
      analyses: analysed.length,
      lastStatus: last?.analysis.status ?? null,
      n: last?.analysis.n ?? null,
      verdicts: (last?.analysis.verdicts ?? []).map((v) => ({ metric: v.metric, status: v.status, reason: v.reason })),
    };
  });
}

/** The report of a rollout: outcome and why, metrics per step, and the timeline of every decision. */
export function rolloutReport(r: Rollout, now: number): RolloutReport {
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
    steps: stepSummaries(r),
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
    '| step | weight | analyses | last verdict | n stable/canary |',
    '|---|---|---|---|---|',
    ...rep.steps.map((s) => `| ${s.step} | ${s.weight}% | ${s.analyses} | ${s.lastStatus ?? '-'} | ${s.n ? `${s.n.stable}/${s.n.canary}` : '-'} |`),
    '',
  ];
  for (const s of rep.steps.filter((x) => x.verdicts.length > 0)) {
    lines.push(`### Step ${s.step} (${s.weight}%): last analysis`, '', ...s.verdicts.map((v) => `- **${v.metric}** ${v.status}: ${cell(v.reason)}`), '');
  }
  lines.push('## Timeline', '', '| time | step | weight | action | by | reason |', '|---|---|---|---|---|---|');
  lines.push(...rep.timeline.map((t) => `| ${t.at} | ${t.step} | ${t.weight}% | ${t.action} | ${t.actor} | ${cell(t.reason)} |`));
  return `${lines.join('\n')}\n`;
}
