export * from './errors.js';
export * from './model.js';
export * from './names.js';
export * from './request-id.js';
export * from './telemetry-types.js';
export * from './verdict.js';
export * from './variant.js';
export * from './weights.js';
