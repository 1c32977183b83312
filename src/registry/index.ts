export { ArtifactFiles, type StagedArtifact } from './artifact-files.js';
export { ModelRegistry, type RegisterInput, type RegistryOptions, type RoutingListener } from './model-registry.js';
export type { AcceptedModel, AcceptedUpstream, UpstreamRequest, VersionLoader } from './version-loader.js';
export { ModelSettingsService, toFaultConfig, type FaultInput } from './model-settings.js';
