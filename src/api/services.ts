import type { CanaryChecks } from '../checks/index.js';
import type { Config } from '../config/index.js';
import type { MetricsReader } from '../metrics/index.js';
import type { ArtifactFiles, ModelRegistry, ModelSettingsService } from '../registry/index.js';
import type { RolloutController } from '../rollout/index.js';
import type { PredictionService } from '../serving/index.js';
import type { ShadowService } from '../shadow/index.js';
import type { FeedbackService, PrometheusMetrics, Telemetry } from '../telemetry/index.js';
import type { ChangeSource } from './live-feed.js';
import type { ManualRouting } from './manual-routing.js';
import type { VersionState } from './views.js';

/** What the routes need; `app/` builds it. */
export interface ApiServices {
  readonly config: Config;
  readonly registry: ModelRegistry;
  /** Where uploads are staged before the registry takes them. */
  readonly files: ArtifactFiles;
  readonly settings: ModelSettingsService;
  readonly predictions: PredictionService;
  readonly telemetry: Telemetry;
  readonly metrics: MetricsReader;
  readonly checks: CanaryChecks;
  readonly feedback: FeedbackService;
  readonly prometheus: PrometheusMetrics;
  readonly rollouts: RolloutController;
  readonly shadows: ShadowService;
  /** Manual routing changes, checked against an active rollout. */
  readonly manual: ManualRouting;
  readonly versions: VersionState;
  /** The token admin operations need (null: none, a loopback-only server). */
  readonly adminToken: string | null;
  /** State changes, for the live stream. */
  readonly changes: ChangeSource;
  /** Which store holds the state, and whether this process reaches it now. */
  readonly state: () => StateLink;
  /** Whether this process drives the rollouts now (holds the controller lease). */
  readonly drivesRollouts: () => boolean;
}

export interface StateLink {
  readonly store: 'sqlite' | 'postgres';
  readonly connected: boolean;
  /** Epoch ms of the last change of `connected`. */
  readonly since: number;
  readonly error: string | null;
}
