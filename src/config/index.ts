export { checkToken, clientDataDir, clientToken, clientUrl, defaultModelName, loadConfig, redactDatabaseUrl, type Config, type ConfigOverrides, type LogLevel } from './config.js';
