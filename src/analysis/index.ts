export type { Alternative } from './alternative.js';
export { chiSquareSf, nonCentralTCdf, nonCentralTSf, normalCdf, normalPpf, normalSf, tCdf, tPpf, tSf } from './distributions.js';
export { mannWhitneyU, MANN_WHITNEY_EXACT_MAX, type MannWhitneyMethod, type MannWhitneyResult } from './mann-whitney.js';
export { addValue, EMPTY_MOMENTS, mergeMoments, momentsOf, sum, sumSquares, variance, type Moments } from './moments.js';
export { msprtInterval, msprtLogLambda, msprtLogLambdaPaired, nextAlwaysValidP, type ConfidenceInterval, type MsprtInput } from './msprt.js';
export { sampleSizePerGroup, tTestPower, type PowerAlternative, type PowerInput, type SampleSize } from './power.js';
export { quantile, quantileSorted } from './quantiles.js';
export { sampleRatioMismatch, SRM_ALPHA, type SampleRatioResult } from './sample-ratio.js';
export { rate, twoProportionZTest, type Proportion, type ProportionTestResult } from './two-proportion.js';
export { welchTTest, welchTTestSamples, type TestResult, type WelchResult } from './welch-t-test.js';
export { assess, type AssessInput, type Assessment, type MetricSpec, type MetricVerdict, type SrmInput } from './assess.js';
export { histogramOf, kolmogorovSf, ksTestBinned, populationStabilityIndex, type Histogram, type KsResult } from './drift.js';
export { judge } from './judges/judge.js';
export { evidenceView, verdictView } from './verdict-view.js';
export { JUDGE_NAMES, parseJudgeConfig, type JudgeConfigResult, type JudgeName } from './judges/judge-schema.js';
export {
  DEFAULT_ALPHA,
  DEFAULT_MIN_SAMPLES,
  type DriftJudgeConfig,
  type JudgeConfig,
  type RelativeJudgeConfig,
  type SequentialJudgeConfig,
  type StatisticalJudgeConfig,
  type ThresholdJudgeConfig,
} from './judges/judge-config.js';
export type { MetricContext } from './judges/verdicts.js';
export { LatencySketch, SKETCH_RELATIVE_ACCURACY, type QuantileSource, type SketchSnapshot } from './latency-sketch.js';
export { estimate, quantileOf, type Better, type Estimate, type MetricSample, type Statistic, type Unit } from './metric-sample.js';
export { emptyReservoir, mergeReservoirs, offer, type Reservoir } from './reservoir.js';
export { mcnemar, mcnemarSequentialLogLambda, pairedTTest, wilsonInterval, type McNemarResult, type PairedOutcomes, type PairedTResult } from './paired.js';
export { judgeShadow, type ShadowCheck, type ShadowCheckName, type ShadowEvidence, type ShadowMeasurement, type ShadowVerdict } from './shadow-verdict.js';
