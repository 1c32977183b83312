export * from './errors.js';
export * from './model.js';
export * from './names.js';
export * from './verdict.js';
export * from './variant.js';
export * from './weights.js';
