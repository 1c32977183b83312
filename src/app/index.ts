export { createApp, type App, type AppOptions } from './create-app.js';
export { ensureExampleModels } from './example-models.js';
export { ADMIN_TOKEN_FILE, adminTokenPath, isLoopback, readAdminTokenFile, resolveAdminToken } from './admin-token.js';
export { lockDataDir } from '../store/index.js';
