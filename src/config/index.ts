export { checkToken, clientDataDir, clientToken, clientUrl, defaultModelName, loadConfig, type Config, type ConfigOverrides, type LogLevel } from './config.js';
