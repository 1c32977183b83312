import { useState } from 'preact/hooks';
import { api, ApiError, type RolloutCommand, type RolloutInfo } from '../api.js';
import { clock, duration } from '../format.js';

/** A rollout that has ended (succeeded, rolled back or failed): it only has history now. */
export const isFinished = (phase: RolloutInfo['phase']): boolean => phase === 'succeeded' || phase === 'rolled_back' || phase === 'failed';

export const PHASE_LABEL: Record<RolloutInfo['phase'], string> = {
  pending: 'pending',
  progressing: 'progressing',
  paused: 'paused',
  promoting: 'promoting',
  succeeded: 'succeeded',
  rolled_back: 'rolled back',
  failed: 'failed',
};

function StepBar({ r }: { r: RolloutInfo }) {
  const current = r.step - 1;
  const done = r.phase === 'succeeded' || r.phase === 'promoting';
  return (
    <ol class="steps" aria-label="rollout steps">
      {r.spec.steps.map((s, i) => {
        const state = done || i < current ? 'done' : i === current ? (isFinished(r.phase) ? 'stopped' : 'current') : 'todo';
        return (
          <li key={i} class={`step ${state}`} title={`step ${i + 1}: ${s.weight}%${s.bake_s ? `, bake ${duration(s.bake_s * 1000)}` : ''}${s.min_samples ? `, ≥ ${s.min_samples} canary requests` : ''}${s.pause ? ', manual gate' : ''}`}>
            <span class="weight">{s.weight}%</span>
            {s.pause && <span class="gate">gate</span>}
          </li>
        );
      })}
      {(r.spec.steps.at(-1)?.weight ?? 0) < 100 && (
        <li class={`step final ${r.phase === 'succeeded' ? 'done' : 'todo'}`} title="promotion: the canary becomes stable">
          <span class="weight">100%</span>
        </li>
      )}
    </ol>
  );
}

function Countdown({ r, now }: { r: RolloutInfo; now: number }) {
  if (isFinished(r.phase)) return <p class="muted">Finished {clock(r.updated_at)} · took {duration(Date.parse(r.updated_at) - Date.parse(r.started_at))}</p>;
  const step = r.spec.steps[r.step - 1];
  const bakeEnd = step ? Date.parse(r.step_started_at) + step.bake_s * 1000 : null;
  const next = r.next_analysis_at ? Date.parse(r.next_analysis_at) : null;
  return (
    <p class="countdown">
      {r.phase === 'paused' ? (
        <span>Paused: {r.reason ?? 'waiting for a person'}. Resume or promote to continue.</span>
      ) : next !== null ? (
        <span>
          Next decision in <strong data-testid="next-decision">{duration(next - now)}</strong>
        </span>
      ) : (
        <span>Waiting for the controller</span>
      )}
      {bakeEnd !== null && bakeEnd > now && r.phase !== 'paused' && <span> · bake ends in {duration(bakeEnd - now)}</span>}
      <span class="muted"> · step started {clock(r.step_started_at)}</span>
    </p>
  );
}

interface Action {
  readonly command: RolloutCommand;
  readonly label: string;
  readonly full?: boolean;
  /** Needs a second click: it moves traffic or ends the rollout. */
  readonly confirm?: boolean;
}

function actionsFor(phase: RolloutInfo['phase']): Action[] {
  switch (phase) {
    case 'progressing':
      return [{ command: 'pause', label: 'Pause' }, { command: 'promote', label: 'Promote a step', confirm: true }, { command: 'promote', label: 'Promote to 100%', full: true, confirm: true }, { command: 'abort', label: 'Abort', confirm: true }];
    case 'paused':
      return [{ command: 'resume', label: 'Resume' }, { command: 'promote', label: 'Promote a step', confirm: true }, { command: 'promote', label: 'Promote to 100%', full: true, confirm: true }, { command: 'abort', label: 'Abort', confirm: true }];
    case 'pending':
      return [{ command: 'abort', label: 'Abort', confirm: true }];
    case 'rolled_back':
    case 'failed':
      return [{ command: 'retry', label: 'Retry', confirm: true }];
    default:
      return [];
  }
}

/** The active (or last) rollout: phase, steps, countdown and the controls, which call the same API as the CLI. */
export function RolloutPanel({ r, now, onAuthNeeded }: { r: RolloutInfo; now: number; onAuthNeeded: () => void }) {
  const [armed, setArmed] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (a: Action) => {
    const key = `${a.command}${a.full ? '-full' : ''}`;
    if (a.confirm && armed !== key) return setArmed(key);
    setArmed(null);
    setBusy(true);
    setError(null);
    try {
      await api.command(r.model, a.command, { ...(a.full ? { full: true } : {}), ...(a.command === 'abort' || a.command === 'pause' ? { reason: 'from the dashboard' } : {}) });
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) onAuthNeeded();
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card rollout" aria-label="rollout">
      <header>
        <h2>
          {isFinished(r.phase) ? 'Last rollout' : 'Rollout'} <span class="muted">v{r.stable_version} → v{r.canary_version}</span>
        </h2>
        <span class={`phase phase-${r.phase}`} data-testid="phase">
          {PHASE_LABEL[r.phase]}
        </span>
      </header>
      <p>
        {r.phase === 'succeeded' || r.phase === 'promoting' ? (
          <>
            {r.steps_passed} of {r.steps_total} steps passed their analysis · canary {r.phase === 'promoting' ? 'being promoted' : 'promoted'} to <strong>100%</strong>
          </>
        ) : (
          <>
            Step <strong>{Math.min(r.step, r.steps_total)}</strong> of {r.steps_total} · canary at <strong>{r.weight}%</strong>
          </>
        )}
        {r.attempt > 1 && <span class="muted"> · attempt {r.attempt}</span>}
        {r.consecutive_failures > 0 && (
          <span class="warn-text">
            {' '}
            · {r.consecutive_failures} failed analys{r.consecutive_failures === 1 ? 'is' : 'es'} of {r.spec.failure_limit} tolerated
          </span>
        )}
      </p>
      {r.traffic && r.traffic.router !== 'builtin' && (
        <p class="muted" data-testid="traffic">
          Traffic split by {r.traffic.where}
          {r.traffic.proxy_weights && (
            <>
              {' '}
              · weights {r.traffic.proxy_weights.stable} / {r.traffic.proxy_weights.canary}
            </>
          )}
          {r.traffic.effective_weight !== r.traffic.weight && <> · {r.traffic.effective_weight}% on its scale</>}
        </p>
      )}
      {r.metrics && r.metrics.provider !== 'builtin' && (
        <p class="muted" data-testid="measured-by">
          Measured by {r.metrics.provider} at {r.metrics.url}
          {r.consecutive_errors > 0 && (
            <span class="warn-text">
              {' '}
              · {r.consecutive_errors} measurement error{r.consecutive_errors === 1 ? '' : 's'} in a row of {r.metrics.error_limit} tolerated
            </span>
          )}
        </p>
      )}
      <StepBar r={r} />
      <Countdown r={r} now={now} />
      {r.last_decision && <p class="decision">Last decision: {r.last_decision.reason}</p>}
      <div class="controls">
        {actionsFor(r.phase).map((a) => {
          const key = `${a.command}${a.full ? '-full' : ''}`;
          return (
            <button key={key} type="button" disabled={busy} class={`${a.command === 'abort' ? 'danger' : ''} ${armed === key ? 'armed' : ''}`} data-command={key} onClick={() => void run(a)}>
              {armed === key ? `Confirm: ${a.label.toLowerCase()}` : a.label}
            </button>
          );
        })}
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
