export { FeedbackService, type FeedbackItem, type FeedbackOptions, type FeedbackResult, type FeedbackStatus } from './feedback.js';
export { PredictionLog, type PredictionLogOptions } from './prediction-log.js';
export { emptyMerged, RESERVOIR_SIZE, SCORE_BINS, type MergedStats, type SeriesSnapshot } from './series-stats.js';
export { isCorrect, Telemetry, type BucketPoint, type RecordInput, type SeriesKey, type TelemetryOptions, type VariantWindow, type WindowQuery } from './telemetry.js';
export { PrometheusMetrics, ROLLOUT_PHASES } from './prometheus.js';
export { ShadowRecorder, type ShadowLabelResult, type ShadowOutcome, type ShadowRecorderOptions } from './shadow-recorder.js';
export { absDeltaOf, emptyShadowStats, scoreOf, type MergedShadowStats, type ShadowStatsSnapshot } from './shadow-stats.js';
