export { ModelOutputError, scoresSynchronously, settlesNextTurn, type ModelRuntime, type PredictOptions, type SynchronousRuntime, type TurnBoundRuntime } from './model-runtime.js';
export { inspectOnnx, type InspectedModel } from './onnx/inspect-onnx.js';
export { FaultInjectingRuntime, InjectedFaultError } from './fault-injection.js';
export { BatchTurn, MicroBatchingRuntime, type MicroBatchOptions } from './micro-batching.js';
export { NativeOnnxRuntime, OnnxModelRuntime } from './onnx/onnx-runtime.js';
export { ElemType, buildModel, floatTensor, int64Tensor, onnx, tensorInfo, type GraphSpec, type NodeSpec } from './onnx/onnx-graph.js';
export * from './upstream/index.js';
export { predictionsFrom } from './predictions-from-outputs.js';
