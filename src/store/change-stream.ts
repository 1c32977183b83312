/**
 * What one replica's writes tell the others: a model's routing or versions changed (its revision
 * is the order), or its settings did. Carried by the store (PostgreSQL's LISTEN/NOTIFY), sent in
 * the same transaction as the write, so a change is announced if and only if it was committed.
 */
export type StoreChange =
  | { readonly kind: 'routing'; readonly model: string; readonly revision: number }
  | { readonly kind: 'version'; readonly model: string; readonly version: number }
  | { readonly kind: 'settings'; readonly model: string }
  | { readonly kind: 'rollout'; readonly model: string };

export interface StoreLink {
  /** False while the store cannot be reached; the reason, and since when. */
  readonly connected: boolean;
  readonly since: number;
  readonly error: string | null;
}

/**
 * Changes made by other processes on the same state. `onResync` is called after a reconnect
 * (notifications sent while disconnected are lost), when everything must be read again.
 */
export interface ChangeStream {
  start(onChange: (change: StoreChange) => void, onResync: () => void): Promise<void>;
  link(): StoreLink;
  close(): Promise<void>;
}

/** The channel every replica listens on. */
export const CHANGE_CHANNEL = 'coalmine_changes';

/** One process alone on its state (the embedded SQLite shape): nobody else writes. */
export class NoChangeStream implements ChangeStream {
  private readonly started = Date.now();

  async start(): Promise<void> {}

  link(): StoreLink {
    return { connected: true, since: this.started, error: null };
  }

  async close(): Promise<void> {}
}

/** Parses a notification's payload; null for one this build does not know (a newer replica's). */
export function parseStoreChange(payload: string): StoreChange | null {
  try {
    const c = JSON.parse(payload) as Partial<StoreChange> & { kind?: unknown; model?: unknown };
    if (typeof c.model !== 'string') return null;
    if (c.kind === 'routing' && typeof (c as { revision?: unknown }).revision === 'number') return c as StoreChange;
    if (c.kind === 'version' && typeof (c as { version?: unknown }).version === 'number') return c as StoreChange;
    if (c.kind === 'settings' || c.kind === 'rollout') return { kind: c.kind, model: c.model };
    return null;
  } catch {
    return null;
  }
}
