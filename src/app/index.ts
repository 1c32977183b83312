export { createApp, type App, type AppOptions } from './create-app.js';
export { ensureExampleModels } from './example-models.js';
