import type { Decision } from '../api.js';
import { clock } from '../format.js';
import { StatusChip } from './verdicts.js';

// Plain Unicode that every system font has (no emoji font on a server or in CI).
const ICON: Record<string, string> = { start: '▶', advance: '↑', hold: '·', pause: '‖', resume: '▶', promote: '↑', rollback: '↓', succeed: '✔', fail: '✖', retry: '↻' };

/** Decisions, newest first. Holds repeat every analysis interval, so runs of them fold into one line. */
export function Timeline({ decisions }: { decisions: readonly Decision[] }) {
  const rows: { d: Decision; repeats: number }[] = [];
  for (const d of [...decisions].reverse()) {
    const prev = rows.at(-1);
    if (prev && d.action === 'hold' && prev.d.action === 'hold' && prev.d.step === d.step) prev.repeats++;
    else rows.push({ d, repeats: 1 });
  }
  return (
    <section class="card timeline" aria-label="decision history">
      <header>
        <h2>Decision history</h2>
        <span class="muted">{decisions.length} decisions</span>
      </header>
      <ol>
        {rows.slice(0, 200).map(({ d, repeats }) => (
          <li key={d.seq} class={`event event-${d.action}`}>
            <time dateTime={d.at}>{clock(d.at)}</time>
            <span class="icon" aria-hidden="true">
              {ICON[d.action] ?? '•'}
            </span>
            <div>
              <div>
                <strong>{d.action}</strong> <span class="muted">{d.analysis && d.analysis.step !== d.step ? `judged step ${d.analysis.step} → ` : ''}step {d.step} · {d.weight}% · {d.actor}</span> {d.analysis && <StatusChip status={d.analysis.status} />}
                {repeats > 1 && <span class="muted"> ×{repeats}</span>}
              </div>
              <p>{d.reason}</p>
            </div>
          </li>
        ))}
      </ol>
      {decisions.length === 0 && <p class="muted">No decisions yet.</p>}
    </section>
  );
}
