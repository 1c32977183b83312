export { RolloutController, type RolloutCommand, type RolloutControllerOptions, type StepMetrics, type VersionHealth } from './rollout-controller.js';
export { parseDurationMs, parseRolloutSpec, parseWebhooks, SPEC_DEFAULTS } from './rollout-spec.js';
export { parseMetricsSpec, parseTrafficSpec } from './backends-spec.js';
export type { RoutingState, TrafficRouter } from './traffic-router.js';
export { reportMarkdown, rolloutReport, stepsPassed, type RolloutReport, type StepResult, type StepSummary } from './rollout-report.js';
export { decisionView } from './decision-view.js';
export { desiredRouting, transition, type AnalysisResult, type RolloutEffect, type RolloutEvent, type TransitionResult } from './transition.js';
export { WebhookSender, type SenderLogger } from './webhook-sender.js';
export { throttledWarning } from './throttled-warning.js';
