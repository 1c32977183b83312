export type { NewVersion, RegistryStore, RoutingChange, RoutingEventInput } from './registry-store.js';
export type { BucketRow, PredictionKey, PredictionLogStore, SettingsStore, TelemetryStore } from './telemetry-store.js';
export { MemoryRegistryStore } from './memory/memory-registry-store.js';
export { openDatabase, type Durability } from './sqlite/sqlite-database.js';
export { SqliteRegistryStore } from './sqlite/sqlite-registry-store.js';
export { SqlitePredictionLogStore, SqliteSettingsStore, SqliteTelemetryStore } from './sqlite/sqlite-telemetry-store.js';
export type { NewNotification, OutboxItem, OutboxStore, RolloutStore } from './rollout-store.js';
export { MemoryRolloutStore } from './memory/memory-rollout-store.js';
export { SqliteRolloutStore } from './sqlite/sqlite-rollout-store.js';
