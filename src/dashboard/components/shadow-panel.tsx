import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type ModelInfo, type ShadowStatusInfo } from '../api.js';
import { clock, count, num, pct } from '../format.js';
import { StatusChip } from './verdicts.js';

/** How often a running shadow's status is read again (its totals change with every request). */
const POLL_MS = 2000;

const ms = (x: number | null) => (x === null ? '–' : `${num(x, 1)} ms`);

/**
 * The shadow session of a model: what it was compared on, agreement and |Δ probability|, latency
 * side by side, accuracy on the same labelled requests, and its verdict check by check. Shown
 * while a shadow runs, and for the last one after it stopped.
 */
export function ShadowPanel({ model }: { model: ModelInfo }) {
  const [status, setStatus] = useState<ShadowStatusInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const session = model.shadow?.session ?? null;
  useEffect(() => {
    let stopped = false;
    const load = () =>
      api
        .shadow(model.name)
        .then((s) => !stopped && (setStatus(s), setError(null)))
        .catch((err: unknown) => !stopped && setError(err instanceof ApiError ? err.message : String(err)));
    void load();
    const timer = session ? setInterval(() => void load(), POLL_MS) : undefined;
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [model.name, session]);

  if (error) return <section class="card shadow" aria-label="shadow"><header><h2>Shadow</h2></header><p class="error small">{error}</p></section>;
  if (!status?.session) return null;
  const x = status.session;
  const m = status.metrics;
  const a = m?.accuracy;
  return (
    <section class="card shadow" aria-label="shadow" data-testid="shadow-panel">
      <header>
        <h2>Shadow v{x.version}</h2>
        <span class={`phase ${status.running ? 'phase-progressing' : 'phase-none'}`} data-testid="shadow-state">
          {status.running ? 'running' : 'stopped'}
        </span>
      </header>
      <p class="muted small">
        beside stable v{x.primary_version} on {num(x.sample, 2)}% of traffic since {clock(x.started_at)} · replies are never the shadow's
        {!status.running && x.stopped_at ? ` · stopped ${clock(x.stopped_at)}` : ''}
      </p>
      {m && (
        <dl class="shadow-figures">
          <dt>compared</dt>
          <dd data-testid="shadow-compared">
            {count(m.answered)} requests · {count(m.rows)} rows{m.dropped > 0 ? ` · ${count(m.dropped)} dropped at the in-flight limit` : ''}{m.shed > 0 ? ` · ${count(m.shed)} shed while the server was saturated` : ''}
          </dd>
          <dt>agreement</dt>
          <dd data-testid="shadow-agreement">{m.agreement ? `${pct(m.agreement.rate)} (${pct(m.agreement.lower)}–${pct(m.agreement.upper)})` : '–'}</dd>
          <dt>|Δ probability|</dt>
          <dd>
            mean {m.abs_delta.mean === null ? '–' : num(m.abs_delta.mean, 3)} · p95 {m.abs_delta.p95 === null ? '–' : num(m.abs_delta.p95, 3)} · PSI {m.psi === null ? '–' : num(m.psi, 3)}
          </dd>
          <dt>errors</dt>
          <dd>{m.error_rate === null ? '–' : `${count(m.errors)} (${pct(m.error_rate)})`}</dd>
          <dt>latency p99</dt>
          <dd>
            primary {ms(m.latency.primary.p99_ms)} · shadow {ms(m.latency.shadow.p99_ms)}
          </dd>
          <dt>accuracy</dt>
          <dd data-testid="shadow-accuracy">
            {a && 'primary' in a ? `primary ${pct(a.primary)} · shadow ${pct(a.shadow)} on ${count(a.labelled)} labelled (only primary right ${a.primary_only}, only shadow right ${a.shadow_only})` : a ? `MAE primary ${num(a.primary_mae ?? 0, 4)} · shadow ${num(a.shadow_mae ?? 0, 4)} on ${count(a.labelled)} labelled` : 'no labels yet'}
          </dd>
        </dl>
      )}
      {status.verdict && (
        <>
          <p>
            <StatusChip status={status.verdict.status} /> <span data-testid="shadow-verdict">{status.verdict.reason}</span>
          </p>
          <ul class="shadow-checks">
            {status.verdict.checks.map((c) => (
              <li key={c.check} class={`verdict verdict-${c.status}`}>
                <strong>{c.check}</strong> <StatusChip status={c.status} /> <span class="small">{c.reason}</span>
              </li>
            ))}
          </ul>
        </>
      )}
      {status.running && (
        <p class="muted small">
          Promote it to a canary rollout with <code>coalmine shadow promote --model {model.name}</code>.
        </p>
      )}
    </section>
  );
}
