import { appError, DEFAULT_SETTINGS, type ExternalRouting, type FaultConfig, type FaultTarget, type ModelSettings } from '../domain/index.js';
import type { SettingsStore } from '../store/index.js';

export interface FaultInput {
  readonly wrongRate?: number;
  readonly delayMs?: number | readonly [number, number];
  readonly errorRate?: number;
}

function share(value: number | undefined, what: string): number {
  const v = value ?? 0;
  if (!Number.isFinite(v) || v < 0 || v > 1) throw appError('invalid_request', `${what} must be a share between 0 and 1 (e.g. 0.4 for 40%), got ${value}`);
  return v;
}

export function toFaultConfig(input: FaultInput): FaultConfig {
  const raw = input.delayMs ?? 0;
  const [lo, hi] = typeof raw === 'number' ? [raw, raw] : raw;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo < 0 || hi < lo || hi > 60_000) {
    throw appError('invalid_request', `delay must be milliseconds from 0 to 60000, as a number or [min, max] with min ≤ max; got ${JSON.stringify(raw)}`);
  }
  return { wrongRate: share(input.wrongRate, 'wrong'), delayMs: [lo, hi], errorRate: share(input.errorRate, 'errors') };
}

/**
 * Per-model settings beside routing: injected faults and the time metrics restart from after a
 * reset. Kept in memory for the hot path, persisted before a change is acknowledged.
 */
export class ModelSettingsService {
  private readonly cache = new Map<string, ModelSettings>();
  private readonly listeners: ((model: string, settings: ModelSettings) => void)[] = [];

  constructor(
    private readonly store: SettingsStore,
    private readonly now: () => Date,
  ) {}

  async load(models: readonly string[]): Promise<void> {
    for (const m of models) this.cache.set(m, (await this.store.get(m)) ?? DEFAULT_SETTINGS);
  }

  /** Called after every saved change (faults, resets). */
  onChange(listener: (model: string, settings: ModelSettings) => void): void {
    this.listeners.push(listener);
  }

  /** Reads a model's settings again (another replica changed them) and tells the listeners. */
  async reload(model: string): Promise<void> {
    const next = (await this.store.get(model)) ?? DEFAULT_SETTINGS;
    this.cache.set(model, next);
    for (const listener of this.listeners) listener(model, next);
  }

  /** Synchronous, for the hot path. */
  get(model: string): ModelSettings {
    return this.cache.get(model) ?? DEFAULT_SETTINGS;
  }

  private async save(model: string, next: ModelSettings): Promise<ModelSettings> {
    await this.store.save(model, next, this.now().toISOString());
    this.cache.set(model, next);
    for (const listener of this.listeners) listener(model, next);
    return next;
  }

  async setFault(model: string, variant: FaultTarget, fault: FaultConfig | null): Promise<ModelSettings> {
    const current = this.get(model);
    const faults = { ...current.faults };
    if (fault === null) delete faults[variant];
    else faults[variant] = fault;
    return this.save(model, { ...current, faults });
  }

  async clearFaults(model: string): Promise<ModelSettings> {
    return this.save(model, { ...this.get(model), faults: {} });
  }

  /** Puts the model's traffic in a proxy's hands (docs/controller.md), or back in coalmine's with null. */
  async setExternal(model: string, external: ExternalRouting | null): Promise<ModelSettings> {
    const { external: _previous, ...rest } = this.get(model);
    return this.save(model, external === null ? rest : { ...rest, external });
  }

  /** Metrics restart at `revision` (the routing revision the reset created). */
  async markReset(model: string, revision: number): Promise<ModelSettings> {
    return this.save(model, { ...this.get(model), metricsSince: this.now().toISOString(), metricsRevision: revision });
  }
}
