export { PredictionService, type PredictRequest, type PredictResult, type PredictionServiceOptions } from './prediction-service.js';
export { RuntimePool, type PoolLogger, type RuntimeFactories, type RuntimeFactory, type RuntimePoolOptions, type VersionAcceptors } from './runtime-pool.js';
export { acceptOnnx, OnnxRuntimeFactory } from './onnx-source.js';
export { acceptUpstream, UpstreamRuntimeFactory } from './upstream-source.js';
export { validateLabels, validateRows } from './validate-rows.js';
export { ShadowRunner, type ShadowJob, type ShadowRunnerOptions } from './shadow-runner.js';
