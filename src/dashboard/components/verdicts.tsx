import type { Verdict, VerdictStatus } from '../api.js';
import { clock, verdictWords } from '../format.js';

export function StatusChip({ status }: { status: VerdictStatus }) {
  return <span class={`chip chip-${status}`}>{status}</span>;
}

/** The latest verdict per metric, each in plain words with its evidence; the judge's own sentence on demand. */
export function Verdicts({ verdicts, status, reason, source, at }: { verdicts: readonly Verdict[]; status: VerdictStatus; reason: string; source: string; at: string }) {
  return (
    <section class="card verdicts" aria-label="verdicts">
      <header>
        <h2>Verdicts</h2>
        <StatusChip status={status} />
      </header>
      <p class="muted">
        {source} · {clock(at)}
      </p>
      <ul>
        {verdicts.map((v) => (
          <li key={v.metric} class={`verdict verdict-${v.status}`}>
            <div class="verdict-head">
              <strong>{v.metric.replace(/_/g, ' ')}</strong> <StatusChip status={v.status} />
            </div>
            <p class="words">{verdictWords(v)}</p>
            <details>
              <summary>method: {v.evidence.method.replace(/_/g, ' ')}</summary>
              <p>{v.reason}</p>
              {v.evidence.queries &&
                Object.entries(v.evidence.queries).map(([name, q]) => (
                  <p key={name} class="query">
                    <span class="muted">{name} (canary):</span> <code>{q.canary}</code>
                  </p>
                ))}
            </details>
          </li>
        ))}
      </ul>
      {verdicts.length === 0 && <p>{reason}</p>}
    </section>
  );
}
