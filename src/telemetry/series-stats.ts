import { EMPTY_MOMENTS, histogramOf, LatencySketch, mergeMoments, type Histogram, type Moments, type SketchSnapshot } from '../analysis/index.js';

/** Bins of the score histogram (probability of the positive/top class, 0–1) used for drift. */
export const SCORE_BINS = 20;
/** Raw latencies kept per series and bucket for rank tests: a bounded uniform sample. */
export const RESERVOIR_SIZE = 32;

export interface SeriesSnapshot {
  readonly requests: number;
  readonly errors: number;
  readonly predictions: number;
  readonly positives: number;
  readonly latency: Moments;
  readonly sketch: SketchSnapshot | null;
  readonly reservoir: readonly number[];
  readonly reservoirSeen: number;
  readonly scores: readonly number[];
  readonly labelled: number;
  readonly correct: number;
  readonly absError: Moments;
  readonly squaredError: number;
}

/**
 * Everything recorded for one series (model, variant, version, routing revision, forced) in one
 * time bucket. Mutable on purpose: the hot path updates plain counters and a sketch in place, in
 * O(1) and without allocating; snapshots are taken off the request path.
 */
export class SeriesStats {
  requests = 0;
  errors = 0;
  predictions = 0;
  positives = 0;
  private latN = 0;
  private latMean = 0;
  private latM2 = 0;
  private sketch: LatencySketch | null = null;
  readonly reservoir: number[] = [];
  reservoirSeen = 0;
  readonly scores: number[] = new Array<number>(SCORE_BINS).fill(0);
  labelled = 0;
  correct = 0;
  private absError: Moments = EMPTY_MOMENTS;
  squaredError = 0;

  recordLatency(ms: number, random: () => number): void {
    this.latN++;
    const d = ms - this.latMean;
    this.latMean += d / this.latN;
    this.latM2 += d * (ms - this.latMean);
    (this.sketch ??= LatencySketch.create()).add(ms);
    this.reservoirSeen++;
    if (this.reservoir.length < RESERVOIR_SIZE) this.reservoir.push(ms);
    else {
      const j = Math.floor(random() * this.reservoirSeen);
      if (j < RESERVOIR_SIZE) this.reservoir[j] = ms;
    }
  }

  recordScore(score: number): void {
    const i = Math.min(SCORE_BINS - 1, Math.max(0, Math.floor(score * SCORE_BINS)));
    this.scores[i]!++;
  }

  recordRegressionError(error: number): void {
    const a = Math.abs(error);
    const n = this.absError.n + 1;
    const d = a - this.absError.mean;
    const mean = this.absError.mean + d / n;
    this.absError = { n, mean, m2: this.absError.m2 + d * (a - mean) };
    this.squaredError += error * error;
  }

  snapshot(): SeriesSnapshot {
    return {
      requests: this.requests,
      errors: this.errors,
      predictions: this.predictions,
      positives: this.positives,
      latency: { n: this.latN, mean: this.latMean, m2: this.latM2 },
      sketch: this.sketch ? this.sketch.toSnapshot() : null,
      reservoir: [...this.reservoir],
      reservoirSeen: this.reservoirSeen,
      scores: [...this.scores],
      labelled: this.labelled,
      correct: this.correct,
      absError: this.absError,
      squaredError: this.squaredError,
    };
  }
}

/** Statistics of any number of series and buckets merged: what a window query returns per variant. */
export interface MergedStats {
  requests: number;
  errors: number;
  predictions: number;
  positives: number;
  latency: Moments;
  sketch: LatencySketch;
  /** Up to `maxValues` raw latencies, a uniform sample of the window. */
  values: number[];
  valuesSeen: number;
  scores: Histogram;
  labelled: number;
  correct: number;
  absError: Moments;
  squaredError: number;
}

export function emptyMerged(): MergedStats {
  return {
    requests: 0,
    errors: 0,
    predictions: 0,
    positives: 0,
    latency: EMPTY_MOMENTS,
    sketch: LatencySketch.create(),
    values: [],
    valuesSeen: 0,
    scores: histogramOf([], 0, 1, SCORE_BINS),
    labelled: 0,
    correct: 0,
    absError: EMPTY_MOMENTS,
    squaredError: 0,
  };
}

const MAX_WINDOW_VALUES = 4000;

/** Adds a snapshot into a merged aggregate (mutates `into`). */
export function mergeSnapshot(into: MergedStats, s: SeriesSnapshot, random: () => number): void {
  into.requests += s.requests;
  into.errors += s.errors;
  into.predictions += s.predictions;
  into.positives += s.positives;
  into.latency = mergeMoments(into.latency, s.latency);
  if (s.sketch) into.sketch.merge(LatencySketch.fromSnapshot(s.sketch));
  // Each bucket's reservoir stands for `reservoirSeen` values; keep the window's sample uniform
  // by accepting each value with the weight it represents.
  const weight = s.reservoir.length > 0 ? s.reservoirSeen / s.reservoir.length : 0;
  for (const v of s.reservoir) {
    into.valuesSeen += weight;
    if (into.values.length < MAX_WINDOW_VALUES) into.values.push(v);
    else if (random() * into.valuesSeen < MAX_WINDOW_VALUES * weight) into.values[Math.floor(random() * MAX_WINDOW_VALUES)] = v;
  }
  const counts = into.scores.counts as number[];
  s.scores.forEach((c, i) => (counts[i] = (counts[i] ?? 0) + c));
  into.labelled += s.labelled;
  into.correct += s.correct;
  into.absError = mergeMoments(into.absError, s.absError);
  into.squaredError += s.squaredError;
}
