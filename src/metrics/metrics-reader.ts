import type { Variant } from '../domain/index.js';
import type { Telemetry } from '../telemetry/index.js';
import { emptyVariantMetrics, toVariantMetrics, type VariantMetrics } from './variant-metrics.js';

export interface MetricWindow {
  readonly from: number;
  readonly to?: number;
  /** Only traffic served at this routing revision or later. */
  readonly minRevision?: number;
}

export type VariantPair = Readonly<Record<Variant, VariantMetrics>>;

/** The built-in metric provider: reads coalmine's own telemetry (a Prometheus reader can take its place). */
export class MetricsReader {
  constructor(private readonly telemetry: Telemetry) {}

  async read(model: string, window: MetricWindow): Promise<VariantPair> {
    const w = await this.telemetry.window(model, window);
    const get = (variant: Variant) => {
      const v = w.get(variant);
      return v ? toVariantMetrics(variant, v.versions, v.stats, v.forced) : emptyVariantMetrics(variant);
    };
    return { stable: get('stable'), canary: get('canary') };
  }
}
