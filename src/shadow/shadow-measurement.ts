import { histogramOf, populationStabilityIndex, type ShadowMeasurement } from '../analysis/index.js';
import type { ModelTask } from '../domain/index.js';
import { SCORE_BINS, type MergedShadowStats } from '../telemetry/index.js';

/** What the judge reads of a session's merged totals. */
export function measurementOf(task: ModelTask, s: MergedShadowStats): ShadowMeasurement {
  return {
    task,
    answered: s.answered,
    errors: s.errors,
    classified: s.classified,
    agreed: s.agreed,
    latencyDiff: s.latencyDiff,
    primaryLatency: s.primaryLatency,
    outcomes: s.outcomes,
    absErrorDiff: s.absErrorDiff,
  };
}

/** PSI between the primary's and the shadow's score distributions on the same rows (NaN before any). */
export function scorePsi(s: MergedShadowStats): number {
  const edges = histogramOf([], 0, 1, SCORE_BINS).edges;
  return populationStabilityIndex({ edges, counts: s.primaryScores }, { edges, counts: s.shadowScores });
}
