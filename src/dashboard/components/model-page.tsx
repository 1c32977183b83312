import type { Decision, Fault, Info, Variant, VersionInfo } from '../api.js';
import { useState } from 'preact/hooks';
import { markers, observedShare, thresholds, xRange, type RangeChoice } from '../chart-data.js';
import { faultWords, num, pct } from '../format.js';
import { WINDOW_MS, type ModelState } from '../live-store.js';
import { Chart } from './chart.js';
import { Registry } from './registry.js';
import { ShadowPanel } from './shadow-panel.js';
import { isFinished, RolloutPanel } from './rollout-panel.js';
import { Timeline } from './timeline.js';
import { Verdicts } from './verdicts.js';


function FaultBanner({ faults, model }: { faults: Partial<Record<Variant | 'shadow', Fault>>; model: string }) {
  const active = (Object.entries(faults) as [Variant | 'shadow', Fault][]).map(([v, f]) => [v, faultWords(f)] as const).filter(([, words]) => words !== '');
  if (active.length === 0) return null;
  return (
    <div class="banner" role="alert" data-testid="fault-banner">
      <strong>Fault injection is on.</strong> {active.map(([v, words]) => `${v}: ${words}`).join(' · ')}. Its metrics are deliberately degraded; clear it with{' '}
      <code>coalmine fault --clear --model {model}</code>.
    </div>
  );
}

function Overview({ s, now, bucketMs }: { s: ModelState; now: number; bucketMs: number }) {
  const m = s.model;
  const stable = m.versions.find((v) => v.version === m.stable_version);
  const canary = m.versions.find((v) => v.version === m.canary_version);
  // During a rollout step, only the step's own traffic says whether the split matches its weight.
  const active = s.rollout && !isFinished(s.rollout.phase);
  const stepStart = active ? Date.parse(s.rollout!.step_started_at) : 0;
  // Only traffic since the last routing change: after a promotion, the minute before it (when a
  // canary still served) says nothing about today's split.
  const since = Math.max(now - 60_000, stepStart, Date.parse(m.updated_at));
  // Chart points are whole telemetry buckets: one that began up to a bucket before `since` overlaps it.
  const share = m.canary_version === null ? null : observedShare(s.points, since - bucketMs + 1);
  const latest = Math.max(0, ...s.points.map((p) => p.t));
  const rps = s.points.filter((p) => p.t === latest).reduce((sum, p) => sum + (p.rps ?? 0), 0);
  const acc = (v: typeof stable) => (v?.metrics.accuracy !== undefined ? ` · trained ${pct(v.metrics.accuracy)}` : '');
  return (
    <section class="card overview" aria-label="traffic">
      <header>
        <h2>Traffic</h2>
        <span class="muted">{num(rps, 1)} req/s</span>
      </header>
      <div class="variants">
        <div class="variant stable" data-testid="stable">
          <span class="dot" /> stable <strong>v{m.stable_version}</strong>
          <span class="muted">{acc(stable)}</span>
          <div class="big">{num(m.stable_weight, 2)}%</div>
          <VersionProblem version={stable} />
        </div>
        <div class="variant canary" data-testid="canary">
          <span class="dot" /> canary {canary ? <strong>v{canary.version}</strong> : <span class="muted">none</span>}
          <span class="muted">{acc(canary)}</span>
          <div class="big">{num(m.canary_weight, 2)}%</div>
          <VersionProblem version={canary} />
        </div>
      </div>
      <div class="share" title="configured weight vs the share of requests the canary actually served">
        <div class="bar">
          <div class="fill" style={{ width: `${m.canary_weight}%` }} />
          {share !== null && <div class="observed" style={{ left: `${share * 100}%` }} />}
        </div>
        <p class="small">
          {m.canary_version === null ? (
            <>
              no canary: stable serves everything · <strong data-testid="observed-share">no canary</strong>
            </>
          ) : (
            <>
              canary weight <strong>{num(m.canary_weight, 2)}%</strong> · observed share ({since === stepStart ? 'this step' : since > now - 60_000 ? 'since the last change' : 'last minute'}) <strong data-testid="observed-share">{share === null ? 'no traffic' : pct(share, 1)}</strong>
            </>
          )}
        </p>
      </div>
    </section>
  );
}

function latestAnalysis(history: readonly Decision[]): Decision | undefined {
  for (let i = history.length - 1; i >= 0; i--) if (history[i]!.analysis) return history[i];
  return undefined;
}

function VerdictSection({ s }: { s: ModelState }) {
  const active = s.rollout && !isFinished(s.rollout.phase);
  const decided = latestAnalysis(s.history);
  if (active && decided?.analysis) {
    return <Verdicts verdicts={decided.analysis.verdicts} status={decided.analysis.status} reason={decided.analysis.reason} source={`rollout analysis of step ${decided.analysis.step}${decided.analysis.weight !== null ? ` (${decided.analysis.weight}%)` : ''}`} at={decided.at} />;
  }
  if (s.analysis && s.model.canary_version !== null) {
    return <Verdicts verdicts={s.analysis.verdicts} status={s.analysis.status} reason={s.analysis.reason} source="default analysis since the last deploy or reset" at={s.analysis.window.to} />;
  }
  if (decided?.analysis) {
    return <Verdicts verdicts={decided.analysis.verdicts} status={decided.analysis.status} reason={decided.analysis.reason} source={`last analysis of the ${s.rollout?.phase.replace('_', ' ')} rollout`} at={decided.at} />;
  }
  return null;
}

const RANGE_LABEL: Record<RangeChoice, string> = { rollout: 'this rollout', '5m': 'last 5 min', '15m': 'last 15 min' };

function RangePicker({ value, hasRollout, onPick }: { value: RangeChoice; hasRollout: boolean; onPick: (r: RangeChoice) => void }) {
  const choices = (['rollout', '5m', '15m'] as const).filter((c) => c !== 'rollout' || hasRollout);
  return (
    <div class="range" role="group" aria-label="chart time range">
      {choices.map((c) => (
        <button type="button" key={c} class={c === value ? 'on' : ''} aria-pressed={c === value} onClick={() => onPick(c)}>
          {RANGE_LABEL[c]}
        </button>
      ))}
    </div>
  );
}

/** Why a serving version cannot take traffic: its file failed to load, or its model server is not ready (a canary's traffic then goes to stable). */
function VersionProblem({ version }: { version: VersionInfo | undefined }) {
  if (!version || version.status === 'ready') return null;
  const why = version.status === 'failed' ? `cannot load: ${version.load_error ?? ''}` : `model server not ready: ${version.not_ready ?? ''}`;
  return (
    <div class="error small" data-testid="version-problem">
      {why}
    </div>
  );
}

export function ModelPage({ s, info, now, onAuthNeeded }: { s: ModelState; info: Info | null; now: number; onAuthNeeded: () => void }) {
  const limits = thresholds(info, s.rollout);
  const marks = markers(s.history);
  const [picked, setPicked] = useState<RangeChoice | null>(null);
  const range = xRange(picked, s.rollout, s.history, now, WINDOW_MS);
  const span: [number, number] = [range.from, range.to];
  const stepMs = info?.bucket_ms ?? 5000;
  const labelled = s.points.some((p) => p.labelled > 0);
  return (
    <div class="model-page" data-model={s.model.name}>
      <FaultBanner faults={s.model.faults} model={s.model.name} />
      <div class="grid top">
        <Overview s={s} now={now} bucketMs={info?.bucket_ms ?? 5000} />
        {s.rollout ? (
          <RolloutPanel r={s.rollout} now={now} onAuthNeeded={onAuthNeeded} />
        ) : (
          <section class="card rollout" aria-label="rollout">
            <header>
              <h2>Rollout</h2>
              <span class="phase phase-none" data-testid="phase">
                none
              </span>
            </header>
            <p class="muted">
              No progressive rollout for this model. Start one with <code>coalmine rollout start &lt;version&gt; --model {s.model.name}</code>.
            </p>
          </section>
        )}
      </div>
      <RangePicker value={range.choice} hasRollout={s.rollout !== null} onPick={setPicked} />
      <div class="grid charts">
        <Chart kind="rps" title="Requests per second" unit="req/s" points={s.points} thresholds={limits.rps} markers={marks} range={span} stepMs={stepMs} />
        <Chart kind="errors" title="Error rate (%)" unit="%" points={s.points} thresholds={limits.errors} markers={marks} range={span} stepMs={stepMs} />
        <Chart kind="latency" title="Latency p50 · p95 · p99 (ms)" unit="ms" points={s.points} thresholds={limits.latency} markers={marks} range={span} stepMs={stepMs} />
        {labelled ? (
          <Chart kind="accuracy" title="Accuracy of labelled requests (%)" unit="%" points={s.points} thresholds={limits.accuracy} markers={marks} yMax={100} range={span} stepMs={stepMs} />
        ) : (
          <figure class="chart empty" data-kind="accuracy">
            <figcaption>Accuracy</figcaption>
            <p class="muted">No labels in the last 15 minutes. Send ground truth with the request (<code>label</code>) or later with <code>POST /v1/feedback</code>.</p>
          </figure>
        )}
      </div>
      <ShadowPanel model={s.model} />
      <div class="grid bottom">
        <VerdictSection s={s} />
        {s.rollout && <Timeline decisions={s.history} />}
      </div>
      <Registry model={s.model} />
    </div>
  );
}
