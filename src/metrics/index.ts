export { MetricsReader, type MetricWindow, type SeriesPoint, type VariantPair } from './metrics-reader.js';
export { emptyVariantMetrics, toVariantMetrics, type LatencySummary, type VariantMetrics } from './variant-metrics.js';
export { bindAnalysis, defaultAnalysis, judgeMismatch, type BoundMetric, type DefaultAnalysisOptions } from './analysis-specs.js';
export { PRESETS, queryTemplates, renderQuery, unknownVariables, TEMPLATE_VARIABLES, type TemplateVariable } from './prometheus/promql-presets.js';
export { PrometheusProvider, type Measurement, type VariantTarget } from './prometheus/prometheus-provider.js';
export { PrometheusClient, type QueryResult } from './prometheus/prometheus-client.js';
export { BucketHistogram } from './prometheus/bucket-histogram.js';
