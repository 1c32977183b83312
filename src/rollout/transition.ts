import { isTerminal, type AnalysisSummary, type Decision, type DecisionAction, type Phase, type Rollout } from '../domain/index.js';

/** What the controller learned from one analysis of the current step. */
export type AnalysisResult = AnalysisSummary;

type Actor = { readonly actor?: 'user' | 'controller' };

export type RolloutEvent =
  | ({ readonly type: 'start'; readonly at: number } & Actor)
  | { readonly type: 'tick'; readonly at: number }
  | { readonly type: 'analysis'; readonly at: number; readonly result: AnalysisResult }
  | ({ readonly type: 'pause'; readonly at: number; readonly reason?: string } & Actor)
  | ({ readonly type: 'resume'; readonly at: number } & Actor)
  | ({ readonly type: 'promote'; readonly at: number; readonly full: boolean } & Actor)
  | ({ readonly type: 'abort'; readonly at: number; readonly reason?: string } & Actor)
  | ({ readonly type: 'retry'; readonly at: number } & Actor)
  | { readonly type: 'promoted'; readonly at: number }
  | { readonly type: 'load_failed'; readonly at: number; readonly reason: string }
  /** A serving version's model server is not ready (seed 003's verify_deployments_health), found when an analysis was due. */
  | { readonly type: 'unhealthy'; readonly at: number; readonly reason: string }
  /** The step could not be measured (a Prometheus query failed): Argo Rollouts' "analysis error", counted toward metrics.errorLimit. */
  | { readonly type: 'measurement_error'; readonly at: number; readonly reason: string }
  | { readonly type: 'step_applied'; readonly at: number; readonly routingRevision: number };

/** What the controller must do after saving the new state. Routing effects are idempotent. */
export type RolloutEffect =
  | { readonly type: 'route'; readonly canaryVersion: number; readonly weightBp: number }
  | { readonly type: 'promote' }
  | { readonly type: 'rollback'; readonly reason: string }
  | { readonly type: 'notify'; readonly from: Phase; readonly to: Phase; readonly decision: Decision };

export type TransitionResult =
  | { readonly ok: true; readonly next: Rollout; readonly effects: readonly RolloutEffect[] }
  | { readonly ok: false; readonly error: string };

const iso = (ms: number): string => new Date(ms).toISOString();
const pct = (bp: number): string => `${bp / 100}%`;

function refuse(state: Rollout, what: string): TransitionResult {
  return { ok: false, error: `cannot ${what} a rollout that is ${state.phase.replace('_', ' ')}` };
}

interface Change {
  readonly phase?: Phase;
  readonly stepIndex?: number;
  readonly action: DecisionAction;
  readonly reason: string;
  readonly actor?: 'user' | 'controller';
  readonly analysis?: AnalysisResult;
  readonly patch?: Partial<Rollout>;
  readonly effects?: RolloutEffect[];
}

/** Applies a change: new phase/step, a history entry, and a notification when the phase changes. */
function apply(state: Rollout, at: number, c: Change): TransitionResult {
  const phase = c.phase ?? state.phase;
  const stepIndex = c.stepIndex ?? state.stepIndex;
  const step = state.spec.steps[Math.min(stepIndex, state.spec.steps.length - 1)]!;
  const weightBp = phase === 'succeeded' ? 10_000 : phase === 'rolled_back' || phase === 'failed' ? 0 : step.weightBp;
  const decision: Decision = {
    seq: state.history.length + 1,
    at: iso(at),
    step: stepIndex,
    weightBp,
    phase,
    action: c.action,
    reason: c.reason,
    actor: c.actor ?? 'controller',
    ...(c.analysis ? { analysis: c.analysis } : {}),
  };
  const next: Rollout = {
    ...state,
    ...c.patch,
    phase,
    stepIndex,
    updatedAt: iso(at),
    history: [...state.history, decision],
  };
  const effects = [...(c.effects ?? [])];
  if (phase !== state.phase) effects.push({ type: 'notify', from: state.phase, to: phase, decision });
  return { ok: true, next, effects };
}

/** Moves to step `index` (or to promoting past the last step), pausing at a manual gate. */
function enterStep(state: Rollout, at: number, index: number, action: DecisionAction, reason: string, actor: 'user' | 'controller', analysis?: AnalysisResult): TransitionResult {
  const steps = state.spec.steps;
  // A step at 100% leaves stable no traffic to compare with, so reaching it is the promotion.
  if (index < steps.length && steps[index]!.weightBp >= 10_000 && !steps[index]!.pause) index = steps.length;
  if (index >= steps.length) {
    return apply(state, at, { phase: 'promoting', action: 'promote', reason, actor, ...(analysis ? { analysis } : {}), patch: { nextAnalysisAt: null, reason: null }, effects: [{ type: 'promote' }] });
  }
  const step = steps[index]!;
  const gate = step.pause ? `; manual gate at step ${index + 1}: waiting for promote or resume` : '';
  return apply(state, at, {
    phase: step.pause ? 'paused' : 'progressing',
    stepIndex: index,
    action,
    reason: `${reason}: step ${index + 1}/${steps.length} at ${pct(step.weightBp)}${gate}`,
    actor,
    ...(analysis ? { analysis } : {}),
    patch: {
      stepStartedAt: iso(at),
      stepRoutingRevision: null,
      nextAnalysisAt: iso(at + state.spec.intervalMs),
      consecutiveFailures: 0,
      ...(state.consecutiveErrors ? { consecutiveErrors: 0 } : {}),
      reason: step.pause ? `manual gate at step ${index + 1}` : null,
    },
    effects: [{ type: 'route', canaryVersion: state.spec.canaryVersion, weightBp: step.weightBp }],
  });
}

function rollBack(state: Rollout, at: number, reason: string, actor: 'user' | 'controller', analysis?: AnalysisResult): TransitionResult {
  return apply(state, at, {
    phase: 'rolled_back',
    action: 'rollback',
    reason,
    actor,
    ...(analysis ? { analysis } : {}),
    patch: { nextAnalysisAt: null, reason },
    effects: [{ type: 'rollback', reason }],
  });
}

function failedNames(result: AnalysisResult): string {
  return result.verdicts.filter((v) => v.status === 'fail').map((v) => v.metric).join(', ');
}

function onAnalysis(measured: Rollout, at: number, result: AnalysisResult): TransitionResult {
  // A measurement that worked ends a run of measurement errors.
  const state: Rollout = measured.consecutiveErrors ? { ...measured, consecutiveErrors: 0 } : measured;
  const step = state.spec.steps[state.stepIndex]!;
  const scheduled = { nextAnalysisAt: iso(at + state.spec.intervalMs) };
  if (result.srmMismatch) {
    return apply(state, at, { phase: 'paused', action: 'pause', reason: `paused, not judged: ${result.reason}`, analysis: result, patch: { ...scheduled, reason: 'sample ratio mismatch' } });
  }
  if (result.status === 'fail') {
    const failures = state.consecutiveFailures + 1;
    const names = failedNames(result);
    if (result.criticalFailure || failures > state.spec.failureLimit) {
      const why = result.criticalFailure ? `critical metric failed (${names})` : `${failures} failed analys${failures === 1 ? 'is' : 'es'}, more than the ${state.spec.failureLimit} tolerated (${names})`;
      return rollBack(state, at, `rolled back at step ${state.stepIndex + 1} (${pct(step.weightBp)}): ${why}`, 'controller', result);
    }
    return apply(state, at, { action: 'hold', reason: `analysis failed on ${names} (${failures} of ${state.spec.failureLimit} tolerated); holding at ${pct(step.weightBp)}`, analysis: result, patch: { ...scheduled, consecutiveFailures: failures } });
  }
  const bakedAt = Date.parse(state.stepStartedAt) + step.bakeMs;
  const baked = at >= bakedAt;
  const enough = result.n.canary >= step.minSamples;
  if (result.status === 'pass' && baked && enough) {
    return enterStep(state, at, state.stepIndex + 1, 'advance', `analysis passed at ${pct(step.weightBp)} (n = ${result.n.stable}/${result.n.canary})`, 'controller', result);
  }
  const waits = [
    !baked ? `baking until ${iso(bakedAt)}` : '',
    !enough ? `${step.minSamples - result.n.canary} more canary requests needed in this step` : '',
    result.status === 'inconclusive' ? 'not enough evidence yet' : '',
  ].filter(Boolean);
  if (result.status === 'inconclusive' && baked && enough && state.spec.inconclusive === 'pause') {
    return apply(state, at, { phase: 'paused', action: 'pause', reason: `paused: still inconclusive after the bake time at ${pct(step.weightBp)} (policy: pause)`, analysis: result, patch: { ...scheduled, reason: 'inconclusive after bake time' } });
  }
  return apply(state, at, {
    action: 'hold',
    reason: `holding at ${pct(step.weightBp)}: analysis ${result.status}; ${waits.join('; ')}`,
    analysis: result,
    patch: { ...scheduled, consecutiveFailures: result.status === 'pass' ? 0 : state.consecutiveFailures },
  });
}

/**
 * The rules of a progressive rollout, as a pure function: the controller persists `next` before
 * carrying out `effects`. Phases: pending → progressing(step) ⇄ paused → promoting → succeeded,
 * or rolled_back (analysis failed, someone aborted, time ran out) and failed (the canary cannot run).
 */
export function transition(state: Rollout, event: RolloutEvent): TransitionResult {
  const at = event.at;
  const actor = 'actor' in event && event.actor ? event.actor : 'user';
  switch (event.type) {
    case 'start':
      if (state.phase !== 'pending') return refuse(state, 'start');
      return enterStep(state, at, 0, 'start', `started: canary v${state.spec.canaryVersion} against stable v${state.stableVersion}`, actor);
    case 'tick': {
      if (isTerminal(state.phase) || state.phase === 'pending' || state.phase === 'promoting') return { ok: true, next: state, effects: [] };
      if (at - Date.parse(state.startedAt) > state.spec.maxDurationMs) {
        return rollBack(state, at, `rolled back: not finished within maxDuration (${Math.round(state.spec.maxDurationMs / 60_000)} min)`, 'controller');
      }
      return { ok: true, next: state, effects: [] };
    }
    case 'analysis':
      if (state.phase !== 'progressing') return refuse(state, 'analyze');
      return onAnalysis(state, at, event.result);
    case 'step_applied': {
      if (state.stepRoutingRevision === event.routingRevision) return { ok: true, next: state, effects: [] };
      // The step's bake time and window start once its weight is in effect (a proxy may take a
      // reconcile or two to accept it), not when the step was decided.
      const first = state.stepRoutingRevision === null && event.at > Date.parse(state.stepStartedAt);
      const timing = first ? { stepStartedAt: iso(event.at), ...(state.nextAnalysisAt !== null ? { nextAnalysisAt: iso(event.at + state.spec.intervalMs) } : {}) } : {};
      return { ok: true, next: { ...state, ...timing, stepRoutingRevision: event.routingRevision }, effects: [] };
    }
    case 'pause':
      if (state.phase !== 'progressing') return refuse(state, 'pause');
      return apply(state, at, { phase: 'paused', action: 'pause', reason: `paused by ${actor}${event.reason ? `: ${event.reason}` : ''}`, actor, patch: { reason: event.reason ?? `paused by ${actor}` } });
    case 'resume': {
      if (state.phase !== 'paused') return refuse(state, 'resume');
      const step = state.spec.steps[state.stepIndex]!;
      if (step.pause) return enterStep(state, at, state.stepIndex + 1, 'advance', `manual gate at step ${state.stepIndex + 1} passed by ${actor}`, actor);
      return apply(state, at, { phase: 'progressing', action: 'resume', reason: `resumed by ${actor} at ${pct(step.weightBp)}`, actor, patch: { reason: null, nextAnalysisAt: iso(at + state.spec.intervalMs) } });
    }
    case 'promote':
      if (state.phase !== 'progressing' && state.phase !== 'paused') return refuse(state, 'promote');
      if (event.full) return enterStep(state, at, state.spec.steps.length, 'promote', `promoted to full by ${actor}, skipping the remaining steps`, actor);
      return enterStep(state, at, state.stepIndex + 1, 'advance', `advanced by ${actor} without waiting for the analysis`, actor);
    case 'abort':
      if (isTerminal(state.phase) || state.phase === 'promoting') return refuse(state, 'abort');
      return rollBack(state, at, `aborted by ${actor}${event.reason ? `: ${event.reason}` : ''}`, actor);
    case 'retry': {
      if (state.phase !== 'rolled_back' && state.phase !== 'failed') return refuse(state, 'retry');
      const restarted: Rollout = { ...state, attempt: state.attempt + 1, startedAt: iso(at), consecutiveFailures: 0, reason: null };
      return enterStep(restarted, at, 0, 'retry', `retried by ${actor} (attempt ${state.attempt + 1})`, actor);
    }
    case 'promoted':
      if (state.phase !== 'promoting') return refuse(state, 'complete');
      return apply(state, at, { phase: 'succeeded', action: 'succeed', reason: `succeeded: v${state.spec.canaryVersion} is the new stable version`, patch: { nextAnalysisAt: null } });
    case 'unhealthy': {
      if (state.phase !== 'progressing') return refuse(state, 'hold');
      // Not judged: an unready version's numbers say nothing. It counts like a failed analysis, so
      // a canary that stays unready is rolled back after the tolerated failures.
      const step = state.spec.steps[state.stepIndex]!;
      const failures = state.consecutiveFailures + 1;
      if (failures > state.spec.failureLimit) {
        return rollBack(state, at, `rolled back at step ${state.stepIndex + 1} (${pct(step.weightBp)}): not ready at ${failures} analyses in a row, more than the ${state.spec.failureLimit} tolerated: ${event.reason}`, 'controller');
      }
      return apply(state, at, {
        action: 'hold',
        reason: `holding at ${pct(step.weightBp)}, not judged: ${event.reason} (${failures} of ${state.spec.failureLimit} tolerated)`,
        patch: { nextAnalysisAt: iso(at + state.spec.intervalMs), consecutiveFailures: failures },
      });
    }
    case 'measurement_error': {
      if (state.phase !== 'progressing') return refuse(state, 'hold');
      const step = state.spec.steps[state.stepIndex]!;
      const errors = (state.consecutiveErrors ?? 0) + 1;
      const limit = state.spec.metrics?.errorLimit ?? 0;
      if (errors > limit) {
        return rollBack(state, at, `rolled back at step ${state.stepIndex + 1} (${pct(step.weightBp)}): ${errors} measurement errors in a row, more than the ${limit} tolerated: ${event.reason}`, 'controller');
      }
      return apply(state, at, {
        action: 'hold',
        reason: `holding at ${pct(step.weightBp)}, not judged: measurement error (${errors} of ${limit} tolerated in a row): ${event.reason}`,
        patch: { nextAnalysisAt: iso(at + state.spec.intervalMs), consecutiveErrors: errors },
      });
    }
    case 'load_failed':
      if (isTerminal(state.phase)) return refuse(state, 'fail');
      return apply(state, at, { phase: 'failed', action: 'fail', reason: `failed: ${event.reason}`, patch: { nextAnalysisAt: null, reason: event.reason }, effects: [{ type: 'rollback', reason: event.reason }] });
  }
}

/** What routing should be for a state; the controller enforces it on every reconcile (idempotent). */
export function desiredRouting(state: Rollout): { kind: 'canary'; version: number; weightBp: number } | { kind: 'promote' } | { kind: 'none' } | { kind: 'keep' } {
  switch (state.phase) {
    case 'progressing':
    case 'paused':
      return { kind: 'canary', version: state.spec.canaryVersion, weightBp: state.spec.steps[state.stepIndex]!.weightBp };
    case 'promoting':
      return { kind: 'promote' };
    case 'rolled_back':
    case 'failed':
      return { kind: 'none' };
    default:
      return { kind: 'keep' };
  }
}
