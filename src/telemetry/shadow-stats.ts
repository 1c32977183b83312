import { addValue, EMPTY_MOMENTS, LatencySketch, mergeMoments, type Moments, type PairedOutcomes, type SketchSnapshot } from '../analysis/index.js';
import type { ModelTask, Prediction } from '../domain/index.js';
import { SCORE_BINS } from './series-stats.js';
import { isCorrect } from './telemetry.js';

/** A shadow session's totals as stored per writer: every field sums (or merges) across writers. */
export interface ShadowStatsSnapshot {
  /** Requests sampled for the shadow. */
  readonly offered: number;
  /** Sampled but not sent: the in-flight limit was reached. */
  readonly dropped: number;
  /** Sampled but not sent: the event loop was saturated, and the shadow yields to the primary. */
  readonly shed?: number;
  /** Shadow calls that answered. */
  readonly answered: number;
  /** Shadow calls that failed or timed out. */
  readonly errors: number;
  readonly rows: number;
  /** Rows whose classes were compared (classifiers), and those that agreed. */
  readonly classified: number;
  readonly agreed: number;
  readonly absDelta: Moments;
  readonly absDeltaSketch: SketchSnapshot | null;
  /** Shadow score − primary score, per row (the probability of class 1, or the top class's). */
  readonly scoreDiff: Moments;
  readonly primaryScores: readonly number[];
  readonly shadowScores: readonly number[];
  readonly primaryLatency: Moments;
  readonly primaryLatencySketch: SketchSnapshot | null;
  readonly shadowLatency: Moments;
  readonly shadowLatencySketch: SketchSnapshot | null;
  /** Shadow latency − primary latency, per answered request. */
  readonly latencyDiff: Moments;
  /** Labelled rows both answered, by who was right (classifiers). */
  readonly outcomes: PairedOutcomes;
  /** |shadow error| − |primary error| per labelled row (regressors). */
  readonly absErrorDiff: Moments;
  readonly primaryAbsError: Moments;
  readonly shadowAbsError: Moments;
}

const NO_OUTCOMES: PairedOutcomes = { both: 0, stableOnly: 0, shadowOnly: 0, neither: 0 };

/** The score a prediction's drift is measured on: class 1's probability, or the top class's. */
export function scoreOf(p: Prediction): number | undefined {
  return p.probability ?? (p.probabilities ? Math.max(...p.probabilities) : undefined);
}

/** |Δ probability| of one row: class 1's for binary, the largest per class for multiclass, |Δ value| for regressors. */
export function absDeltaOf(task: ModelTask, primary: Prediction, shadow: Prediction): number | null {
  if (task === 'regressor') {
    const d = Math.abs(Number(shadow.prediction) - Number(primary.prediction));
    return Number.isFinite(d) ? d : null;
  }
  if (primary.probabilities && shadow.probabilities && primary.probabilities.length === shadow.probabilities.length) {
    let max = 0;
    for (let i = 0; i < primary.probabilities.length; i++) max = Math.max(max, Math.abs(shadow.probabilities[i]! - primary.probabilities[i]!));
    return max;
  }
  if (primary.probability !== undefined && shadow.probability !== undefined) return Math.abs(shadow.probability - primary.probability);
  return null;
}

const bin = (score: number) => Math.min(SCORE_BINS - 1, Math.max(0, Math.floor(score * SCORE_BINS)));

/**
 * One writer's running totals of one shadow session. Mutable and allocation-light like
 * SeriesStats: updated once per shadow call, snapshotted off the request path.
 */
export class ShadowStats {
  offered = 0;
  dropped = 0;
  shed = 0;
  answered = 0;
  errors = 0;
  rows = 0;
  classified = 0;
  agreed = 0;
  private absDelta: Moments = EMPTY_MOMENTS;
  private absDeltaSketch: LatencySketch | null = null;
  private scoreDiff: Moments = EMPTY_MOMENTS;
  private readonly primaryScores = new Array<number>(SCORE_BINS).fill(0);
  private readonly shadowScores = new Array<number>(SCORE_BINS).fill(0);
  private primaryLatency: Moments = EMPTY_MOMENTS;
  private primaryLatencySketch: LatencySketch | null = null;
  private shadowLatency: Moments = EMPTY_MOMENTS;
  private shadowLatencySketch: LatencySketch | null = null;
  private latencyDiff: Moments = EMPTY_MOMENTS;
  private outcomes = { ...NO_OUTCOMES };
  private absErrorDiff: Moments = EMPTY_MOMENTS;
  private primaryAbsError: Moments = EMPTY_MOMENTS;
  private shadowAbsError: Moments = EMPTY_MOMENTS;
  /** Changed since the last snapshot written: unchanged sessions are not rewritten. */
  dirty = false;

  failed(primaryLatencyMs: number, shadowLatencyMs: number): void {
    this.dirty = true;
    this.errors++;
    this.addLatencies(primaryLatencyMs, shadowLatencyMs, false);
  }

  answer(primaryLatencyMs: number, shadowLatencyMs: number): void {
    this.dirty = true;
    this.answered++;
    this.addLatencies(primaryLatencyMs, shadowLatencyMs, true);
  }

  private addLatencies(primary: number, shadow: number, paired: boolean): void {
    this.primaryLatency = addValue(this.primaryLatency, primary);
    (this.primaryLatencySketch ??= LatencySketch.create()).add(primary);
    if (!paired) return;
    this.shadowLatency = addValue(this.shadowLatency, shadow);
    (this.shadowLatencySketch ??= LatencySketch.create()).add(shadow);
    this.latencyDiff = addValue(this.latencyDiff, shadow - primary);
  }

  /** One row both answered; `agree` is null for regressors, which have no classes to compare. */
  row(primary: Prediction, shadow: Prediction, absDelta: number | null, agree: boolean | null): void {
    this.rows++;
    if (absDelta !== null) {
      this.absDelta = addValue(this.absDelta, absDelta);
      (this.absDeltaSketch ??= LatencySketch.create()).add(absDelta);
    }
    if (agree === null) return;
    this.classified++;
    if (agree) this.agreed++;
    const ps = scoreOf(primary);
    const ss = scoreOf(shadow);
    if (ps !== undefined) this.primaryScores[bin(ps)]!++;
    if (ss !== undefined) this.shadowScores[bin(ss)]!++;
    if (ps !== undefined && ss !== undefined) this.scoreDiff = addValue(this.scoreDiff, ss - ps);
  }

  /** A label for a row both answered: the pair's outcome (classifiers) or both errors (regressors). */
  label(task: ModelTask, primary: number | string, shadow: number | string, label: number | string): void {
    this.dirty = true;
    if (task === 'regressor') {
      const ep = Math.abs(Number(primary) - Number(label));
      const es = Math.abs(Number(shadow) - Number(label));
      if (!Number.isFinite(ep) || !Number.isFinite(es)) return;
      this.primaryAbsError = addValue(this.primaryAbsError, ep);
      this.shadowAbsError = addValue(this.shadowAbsError, es);
      this.absErrorDiff = addValue(this.absErrorDiff, es - ep);
      return;
    }
    const p = isCorrect(primary, label);
    const s = isCorrect(shadow, label);
    if (p && s) this.outcomes.both++;
    else if (p) this.outcomes.stableOnly++;
    else if (s) this.outcomes.shadowOnly++;
    else this.outcomes.neither++;
  }

  snapshot(): ShadowStatsSnapshot {
    return {
      offered: this.offered,
      dropped: this.dropped,
      shed: this.shed,
      answered: this.answered,
      errors: this.errors,
      rows: this.rows,
      classified: this.classified,
      agreed: this.agreed,
      absDelta: this.absDelta,
      absDeltaSketch: this.absDeltaSketch?.toSnapshot() ?? null,
      scoreDiff: this.scoreDiff,
      primaryScores: [...this.primaryScores],
      shadowScores: [...this.shadowScores],
      primaryLatency: this.primaryLatency,
      primaryLatencySketch: this.primaryLatencySketch?.toSnapshot() ?? null,
      shadowLatency: this.shadowLatency,
      shadowLatencySketch: this.shadowLatencySketch?.toSnapshot() ?? null,
      latencyDiff: this.latencyDiff,
      outcomes: { ...this.outcomes },
      absErrorDiff: this.absErrorDiff,
      primaryAbsError: this.primaryAbsError,
      shadowAbsError: this.shadowAbsError,
    };
  }
}

/** Every writer's totals of a session, summed: what the verdict and the status are computed from. */
export interface MergedShadowStats {
  offered: number;
  dropped: number;
  shed: number;
  answered: number;
  errors: number;
  rows: number;
  classified: number;
  agreed: number;
  absDelta: Moments;
  absDeltaSketch: LatencySketch;
  scoreDiff: Moments;
  primaryScores: number[];
  shadowScores: number[];
  primaryLatency: Moments;
  primaryLatencySketch: LatencySketch;
  shadowLatency: Moments;
  shadowLatencySketch: LatencySketch;
  latencyDiff: Moments;
  outcomes: PairedOutcomes;
  absErrorDiff: Moments;
  primaryAbsError: Moments;
  shadowAbsError: Moments;
}

export function emptyShadowStats(): MergedShadowStats {
  return {
    offered: 0,
    dropped: 0,
    shed: 0,
    answered: 0,
    errors: 0,
    rows: 0,
    classified: 0,
    agreed: 0,
    absDelta: EMPTY_MOMENTS,
    absDeltaSketch: LatencySketch.create(),
    scoreDiff: EMPTY_MOMENTS,
    primaryScores: new Array<number>(SCORE_BINS).fill(0),
    shadowScores: new Array<number>(SCORE_BINS).fill(0),
    primaryLatency: EMPTY_MOMENTS,
    primaryLatencySketch: LatencySketch.create(),
    shadowLatency: EMPTY_MOMENTS,
    shadowLatencySketch: LatencySketch.create(),
    latencyDiff: EMPTY_MOMENTS,
    outcomes: { ...NO_OUTCOMES },
    absErrorDiff: EMPTY_MOMENTS,
    primaryAbsError: EMPTY_MOMENTS,
    shadowAbsError: EMPTY_MOMENTS,
  };
}

const merge = (into: LatencySketch, s: SketchSnapshot | null) => (s ? into.merge(LatencySketch.fromSnapshot(s)) : into);

/** Adds one writer's snapshot into the merged totals (mutates `into`). */
export function mergeShadowSnapshot(into: MergedShadowStats, s: ShadowStatsSnapshot): void {
  into.offered += s.offered;
  into.dropped += s.dropped;
  into.shed += s.shed ?? 0;
  into.answered += s.answered;
  into.errors += s.errors;
  into.rows += s.rows;
  into.classified += s.classified;
  into.agreed += s.agreed;
  into.absDelta = mergeMoments(into.absDelta, s.absDelta);
  merge(into.absDeltaSketch, s.absDeltaSketch);
  into.scoreDiff = mergeMoments(into.scoreDiff, s.scoreDiff);
  s.primaryScores.forEach((c, i) => (into.primaryScores[i] = (into.primaryScores[i] ?? 0) + c));
  s.shadowScores.forEach((c, i) => (into.shadowScores[i] = (into.shadowScores[i] ?? 0) + c));
  into.primaryLatency = mergeMoments(into.primaryLatency, s.primaryLatency);
  merge(into.primaryLatencySketch, s.primaryLatencySketch);
  into.shadowLatency = mergeMoments(into.shadowLatency, s.shadowLatency);
  merge(into.shadowLatencySketch, s.shadowLatencySketch);
  into.latencyDiff = mergeMoments(into.latencyDiff, s.latencyDiff);
  into.outcomes = {
    both: into.outcomes.both + s.outcomes.both,
    stableOnly: into.outcomes.stableOnly + s.outcomes.stableOnly,
    shadowOnly: into.outcomes.shadowOnly + s.outcomes.shadowOnly,
    neither: into.outcomes.neither + s.outcomes.neither,
  };
  into.absErrorDiff = mergeMoments(into.absErrorDiff, s.absErrorDiff);
  into.primaryAbsError = mergeMoments(into.primaryAbsError, s.primaryAbsError);
  into.shadowAbsError = mergeMoments(into.shadowAbsError, s.shadowAbsError);
}
