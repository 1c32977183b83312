import { randomUUID } from 'node:crypto';
import { CHANGE_CHANNEL, parseStoreChange, type ChangeStream, type StoreChange, type StoreLink } from '../change-stream.js';
import type { Sql } from './postgres-database.js';

export interface PostgresChangeStreamOptions {
  /** How often the link is checked; a check that fails marks it down. */
  readonly heartbeatMs?: number;
  readonly now?: () => number;
  /** Told when the link goes down or comes back, for the log. */
  readonly onLink?: (link: StoreLink) => void;
}

interface Ping {
  readonly kind: 'ping';
  readonly stream: string;
  readonly seq: number;
}

function parsePing(payload: string): Ping | null {
  if (!payload.startsWith('{"kind":"ping"')) return null;
  try {
    const p = JSON.parse(payload) as Partial<Ping>;
    return typeof p.stream === 'string' && typeof p.seq === 'number' ? (p as Ping) : null;
  } catch {
    return null;
  }
}

/**
 * Other replicas' changes through LISTEN/NOTIFY, on one connection of its own.
 *
 * A query that succeeds proves only that the database answers, not that this replica still
 * hears its notifications: a reconnected session has forgotten its LISTEN, and postgres.js's own
 * listen() re-issues it only once, then gives up if the server is still away (a CI run caught a
 * replica serving stale routing while it reported itself connected). So the stream keeps its own
 * connection, and its heartbeat is a notification it sends itself on that connection and must
 * hear back; one that does not come back means the LISTEN is gone, and the stream issues it
 * again. The link counts as connected only while notifications flow, and every time it comes
 * back the stream asks for a resync, since what was announced meanwhile was lost.
 */
export class PostgresChangeStream implements ChangeStream {
  private state: StoreLink;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly sql: Sql;
  private readonly now: () => number;
  private readonly heartbeatMs: number;
  private readonly id = randomUUID();
  private seq = 0;
  private readonly waiting = new Map<number, () => void>();
  private onChange: (change: StoreChange) => void = () => undefined;

  /** `connect` opens the stream's connection, handing notifications to the function it is given. */
  constructor(
    connect: (onNotify: (channel: string, payload: string) => void) => Sql,
    private readonly opts: PostgresChangeStreamOptions = {},
  ) {
    this.sql = connect((channel, payload) => {
      if (channel === CHANGE_CHANNEL) this.heard(payload);
    });
    this.now = opts.now ?? Date.now;
    this.heartbeatMs = opts.heartbeatMs ?? 1000;
    this.state = { connected: true, since: this.now(), error: null };
  }

  private heard(payload: string): void {
    const ping = parsePing(payload);
    if (ping) {
      if (ping.stream === this.id) this.waiting.get(ping.seq)?.();
      return;
    }
    const change = parseStoreChange(payload);
    if (change) this.onChange(change);
  }

  private async subscribe(): Promise<void> {
    await bounded(this.sql.unsafe(`LISTEN "${CHANGE_CHANNEL}"`).execute(), this.heartbeatMs * 5, 'subscribing to changes timed out');
  }

  async start(onChange: (change: StoreChange) => void, onResync: () => void): Promise<void> {
    this.onChange = onChange;
    await this.subscribe();
    const beat = async () => {
      if (this.closed) return;
      try {
        const lost = !(await this.ping());
        if (lost && !this.closed) {
          await this.subscribe();
          if (!(await this.ping())) throw new Error('the database answers but its change notifications do not arrive');
        }
        if (!this.state.connected) {
          this.set({ connected: true, since: this.now(), error: null });
          onResync();
        } else if (lost) {
          onResync();
        }
      } catch (err) {
        if (this.state.connected) this.set({ connected: false, since: this.now(), error: (err as Error).message });
      }
      if (!this.closed) this.timer = setTimeout(() => void beat(), this.heartbeatMs).unref();
    };
    this.timer = setTimeout(() => void beat(), this.heartbeatMs).unref();
  }

  /** Sends this stream a notification and says whether it came back within a heartbeat. */
  private async ping(): Promise<boolean> {
    const seq = ++this.seq;
    let timer: NodeJS.Timeout | undefined;
    const heard = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.heartbeatMs);
      this.waiting.set(seq, () => resolve(true));
    });
    try {
      const payload: Ping = { kind: 'ping', stream: this.id, seq };
      await bounded(this.sql`SELECT pg_notify(${CHANGE_CHANNEL}, ${JSON.stringify(payload)})`.execute(), this.heartbeatMs * 5, 'the database did not answer within five heartbeats');
      return await heard;
    } finally {
      clearTimeout(timer);
      this.waiting.delete(seq);
    }
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
    await this.sql.end({ timeout: 5 }).catch(() => undefined);
  }
}

function bounded<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms).unref();
  });
  return Promise.race([p, expired]).finally(() => clearTimeout(timer));
}
