export { startOpenInferenceServer } from './open-inference-server.js';
export { startMlflowServer, type MlflowAnswer } from './mlflow-server.js';
export { startTfServingServer } from './tf-serving-server.js';
export { probabilityOf, sigmoid, type RunningServer, type ServerKnobs, type TestModel } from './test-model.js';
