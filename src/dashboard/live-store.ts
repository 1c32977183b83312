import { api, ApiError, type AnalysisInfo, type Decision, type Info, type ModelInfo, type RolloutInfo, type SeriesPoint } from './api.js';
import { mergePoints } from './chart-data.js';
import { openEventStream } from './event-stream.js';

export const WINDOW_MS = 15 * 60 * 1000;

export interface ModelState {
  readonly model: ModelInfo;
  readonly rollout: RolloutInfo | null;
  /** Decisions of `rollout`, oldest first. */
  readonly history: readonly Decision[];
  readonly analysis: AnalysisInfo | null;
  readonly points: readonly SeriesPoint[];
}

export interface LiveState {
  readonly connection: 'connecting' | 'live' | 'reconnecting';
  readonly info: Info | null;
  /** Server clock minus this browser's clock: countdowns use the server's time. */
  readonly clockOffsetMs: number;
  readonly models: Readonly<Record<string, ModelState>>;
  readonly loadError: string | null;
  /** The server wants the admin token even to read (COALMINE_PROTECT_READS). */
  readonly authNeeded: boolean;
}

const INITIAL: LiveState = { connection: 'connecting', info: null, clockOffsetMs: 0, models: {}, loadError: null, authNeeded: false };

/**
 * Everything the page shows, kept current from one server-sent event stream. The REST API
 * gives the starting state (and is asked again only after a reconnect or a missed decision);
 * after that the server pushes each change and fresh chart points, so the page never polls.
 */
export class LiveStore {
  private state: LiveState = INITIAL;
  private readonly listeners = new Set<() => void>();
  private stopStream: (() => void) | null = null;
  private dropped = false;

  get(): LiveState {
    return this.state;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private set(next: LiveState): void {
    this.state = next;
    for (const l of this.listeners) l();
  }

  private patchModel(name: string, patch: (m: ModelState) => ModelState): void {
    const current = this.state.models[name];
    if (!current) return;
    this.set({ ...this.state, models: { ...this.state.models, [name]: patch(current) } });
  }

  start(): void {
    void this.loadAll();
    const handlers: Record<string, (data: string) => void> = {
      hello: (raw) => {
        const d = JSON.parse(raw) as { server_time: number };
        this.set({ ...this.state, connection: 'live', clockOffsetMs: d.server_time - Date.now() });
        // Changes made while the stream was down were not pushed: start again from the API.
        if (this.dropped) {
          this.dropped = false;
          void this.loadAll();
        }
      },
      points: (raw) => {
        const d = JSON.parse(raw) as { model: string; server_time: number; points: SeriesPoint[] };
        if (!this.state.models[d.model]) return void this.loadModel(d.model);
        this.patchModel(d.model, (m) => ({ ...m, points: mergePoints(m.points, d.points, d.server_time, WINDOW_MS) }));
      },
      model: (raw) => {
        const model = JSON.parse(raw) as ModelInfo;
        if (!this.state.models[model.name]) return void this.loadModel(model.name);
        this.patchModel(model.name, (m) => ({ ...m, model, analysis: model.canary_version === null ? null : m.analysis }));
      },
      analysis: (raw) => {
        const analysis = JSON.parse(raw) as AnalysisInfo;
        this.patchModel(analysis.model, (m) => ({ ...m, analysis }));
      },
      rollout: (raw) => this.onRollout(JSON.parse(raw) as RolloutInfo),
    };
    this.stopStream = openEventStream('/v1/stream', {
      onOpen: () => this.set({ ...this.state, connection: 'live' }),
      onEvent: (event, data) => handlers[event]?.(data),
      onDrop: (status) => {
        this.dropped = true;
        this.set({ ...this.state, connection: 'reconnecting', authNeeded: this.state.authNeeded || status === 401 });
      },
    });
  }

  /** After the user gave a token: read everything again and reconnect with it. */
  restart(): void {
    this.stop();
    this.set({ ...this.state, authNeeded: false, loadError: null });
    this.start();
  }

  stop(): void {
    this.stopStream?.();
    this.stopStream = null;
  }

  /** Now, by the server's clock. */
  now(): number {
    return Date.now() + this.state.clockOffsetMs;
  }

  private onRollout(rollout: RolloutInfo): void {
    const current = this.state.models[rollout.model];
    if (!current) return void this.loadModel(rollout.model);
    const last = current.history.at(-1);
    const d = rollout.last_decision;
    const sameRollout = current.rollout?.id === rollout.id;
    if (sameRollout && (d === null || (last && d.seq <= last.seq))) {
      this.patchModel(rollout.model, (m) => ({ ...m, rollout }));
    } else if (sameRollout && d && (last ? d.seq === last.seq + 1 : d.seq === 1)) {
      this.patchModel(rollout.model, (m) => ({ ...m, rollout, history: [...m.history, d] }));
    } else {
      // A new rollout, or decisions we did not see: read the history once.
      this.patchModel(rollout.model, (m) => ({ ...m, rollout }));
      void api.history(rollout.model).then((h) => this.patchModel(rollout.model, (m) => (m.rollout?.id === h.rollout ? { ...m, history: h.decisions } : m)));
    }
  }

  private async loadModel(name: string): Promise<void> {
    const [model, rollout, series] = await Promise.all([api.model(name), api.rollout(name), api.series(name)]);
    const [history, analysis] = await Promise.all([
      rollout ? api.history(name).then((h) => h.decisions) : Promise.resolve([]),
      model.canary_version !== null ? api.analysis(name) : Promise.resolve(null),
    ]);
    this.set({ ...this.state, models: { ...this.state.models, [name]: { model, rollout, history, analysis, points: series.points } } });
  }

  private async loadAll(): Promise<void> {
    try {
      const [info, list] = await Promise.all([api.info(), api.models()]);
      this.set({ ...this.state, info, clockOffsetMs: info.server_time - Date.now(), loadError: null });
      await Promise.all(list.models.map((m) => this.loadModel(m.name)));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) this.set({ ...this.state, authNeeded: true });
      else this.set({ ...this.state, loadError: err instanceof Error ? err.message : String(err) });
    }
  }
}
