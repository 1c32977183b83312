import type { Logger } from 'pino';
import { hasFaults, type Model } from '../domain/index.js';
import type { ModelRegistry, ModelSettingsService } from '../registry/index.js';
import type { PrometheusMetrics } from '../telemetry/index.js';
import type { ChangeFeed } from './change-feed.js';

export interface RoutingViewsOptions {
  readonly registry: ModelRegistry;
  readonly settings: ModelSettingsService;
  readonly prometheus: PrometheusMetrics;
  readonly changes: ChangeFeed;
  readonly log: Logger;
}

/**
 * What follows every routing change besides routing itself: the Prometheus weight and phase
 * gauges, the live stream, and the canary's faults, which leave with the canary they were
 * injected into (promoted or rolled back), so the next canary does not start out broken.
 */
export function watchRouting(o: RoutingViewsOptions): { seed(model: Model): void } {
  const phased = new Set<string>();
  const canaryOf = new Map<string, number | null>();
  const exportRouting = (m: Model) => {
    o.prometheus.setWeight(m.name, m.routing.canaryVersion === null ? 0 : m.routing.canaryWeightBp / 10_000);
    // A model without a rollout is in phase "none"; the gauge says so rather than nothing.
    if (!phased.has(m.name)) {
      phased.add(m.name);
      o.prometheus.setPhase(m.name, 'none');
    }
  };
  o.registry.onRoutingChange(exportRouting);
  o.registry.onRoutingChange((m, origin) => {
    const before = canaryOf.get(m.name);
    canaryOf.set(m.name, m.routing.canaryVersion);
    // The replica that made the change clears the faults; the others read the cleared settings back.
    if (origin === 'local' && before !== undefined && before !== null && m.routing.canaryVersion === null && hasFaults(o.settings.get(m.name).faults.canary)) {
      o.settings.setFault(m.name, 'canary', null).then(
        () => o.log.info({ model: m.name, version: before }, 'canary faults cleared: the canary they were injected into is gone'),
        (err: unknown) => o.log.warn({ model: m.name, err }, 'could not clear the faults of a removed canary'),
      );
    }
  });
  o.registry.onRoutingChange((m) => o.changes.emit({ kind: 'routing', model: m.name }));
  return {
    /** The state at start, before any change has been seen. */
    seed(m: Model) {
      exportRouting(m);
      canaryOf.set(m.name, m.routing.canaryVersion);
    },
  };
}
