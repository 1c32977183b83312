export { CanaryChecks, type CanaryChecksOptions, type CheckThresholds, type HealthCheck, type RollbackCheck } from './canary-checks.js';
export { defaultAnalysis, type BoundMetric, type DefaultAnalysisOptions } from './default-analysis.js';
