export { buildServer } from './server.js';
export { ManualRouting } from './manual-routing.js';
export type { ApiServices } from './services.js';
export type { VersionState } from './views.js';
export type { Change, ChangeSource } from './live-feed.js';
export { defaultAccess, type Access, type RouteAccess } from './auth.js';
