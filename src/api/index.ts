export { buildServer } from './server.js';
export type { ApiServices } from './services.js';
export type { VersionState } from './views.js';
