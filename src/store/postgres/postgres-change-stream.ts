import { CHANGE_CHANNEL, parseStoreChange, type ChangeStream, type StoreChange, type StoreLink } from '../change-stream.js';
import type { Sql } from './postgres-database.js';

export interface PostgresChangeStreamOptions {
  /** How often the link is checked (a `SELECT 1`); a failed check marks it down. */
  readonly heartbeatMs?: number;
  readonly now?: () => number;
  /** Told when the link goes down or comes back, for the log. */
  readonly onLink?: (link: StoreLink) => void;
}

/**
 * Other replicas' changes through LISTEN/NOTIFY on one dedicated connection (postgres.js keeps it
 * and re-issues LISTEN after a reconnect). Notifications sent while this replica was cut off are
 * lost, so every time the link comes back (LISTEN again, or a heartbeat that succeeds after
 * failing) it asks for a resync: everything is read again from the store.
 */
export class PostgresChangeStream implements ChangeStream {
  private state: StoreLink;
  private timer: NodeJS.Timeout | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private listens = 0;
  private closed = false;
  private readonly now: () => number;

  constructor(
    private readonly sql: Sql,
    private readonly opts: PostgresChangeStreamOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.state = { connected: true, since: this.now(), error: null };
  }

  async start(onChange: (change: StoreChange) => void, onResync: () => void): Promise<void> {
    const sub = await this.sql.listen(
      CHANGE_CHANNEL,
      (payload) => {
        const change = parseStoreChange(payload);
        if (change) onChange(change);
      },
      () => {
        // Called on every (re)connect of the LISTEN connection; the first is the start itself.
        if (this.listens++ > 0) onResync();
      },
    );
    this.unlisten = sub.unlisten;
    const beat = async () => {
      if (this.closed) return;
      try {
        await this.sql`SELECT 1`.execute();
        if (!this.state.connected) {
          this.set({ connected: true, since: this.now(), error: null });
          onResync();
        }
      } catch (err) {
        if (this.state.connected) this.set({ connected: false, since: this.now(), error: (err as Error).message });
      }
      if (!this.closed) this.timer = setTimeout(() => void beat(), this.opts.heartbeatMs ?? 1000).unref();
    };
    this.timer = setTimeout(() => void beat(), this.opts.heartbeatMs ?? 1000).unref();
  }

  private set(link: StoreLink): void {
    this.state = link;
    this.opts.onLink?.(link);
  }

  link(): StoreLink {
    return this.state;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.unlisten?.().catch(() => undefined);
  }
}
