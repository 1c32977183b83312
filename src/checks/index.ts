export { CanaryChecks, type CanaryChecksOptions, type CheckThresholds, type HealthCheck, type RollbackCheck } from './canary-checks.js';
