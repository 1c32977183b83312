export { CHURN_FEATURES, CHURN_SEED, churnRows, type LabelledRow } from './churn-data.js';
export { buildChurnExamples, type ExampleModel } from './churn-models.js';
export { SeededRandom } from './seeded-random.js';
