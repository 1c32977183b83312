import type { Config } from '../config/index.js';
import type { ModelRegistry } from '../registry/index.js';
import type { PredictionService } from '../serving/index.js';
import type { VersionState } from './views.js';

/** What the routes need; `app/` builds it. */
export interface ApiServices {
  readonly config: Config;
  readonly registry: ModelRegistry;
  readonly predictions: PredictionService;
  readonly versions: VersionState;
}
