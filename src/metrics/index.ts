export { MetricsReader, type MetricWindow, type SeriesPoint, type VariantPair } from './metrics-reader.js';
export { emptyVariantMetrics, toVariantMetrics, type LatencySummary, type VariantMetrics } from './variant-metrics.js';
export { bindAnalysis, defaultAnalysis, judgeMismatch, type BoundMetric, type DefaultAnalysisOptions } from './analysis-specs.js';
