export { PredictionService, type PredictRequest, type PredictResult, type PredictionServiceOptions } from './prediction-service.js';
export { RuntimePool, type PoolLogger } from './runtime-pool.js';
export { validateLabels, validateRows } from './validate-rows.js';
