export { ShadowService, type ShadowLogger, type ShadowServiceOptions, type ShadowStatus } from './shadow-service.js';
export { parseShadowStart, type ShadowStart } from './shadow-spec.js';
export { comparisonView, shadowCheckView, shadowEvidenceView, shadowMetricsView, shadowRoutingView, shadowSessionView, shadowVerdictView } from './shadow-view.js';
export { measurementOf, scorePsi } from './shadow-measurement.js';
