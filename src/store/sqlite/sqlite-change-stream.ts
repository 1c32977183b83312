import type Database from 'better-sqlite3';
import { parseStoreChange, type ChangeStream, type StoreChange, type StoreLink } from '../change-stream.js';

/** Records a change for the other processes on the same file, inside the writing transaction. */
export function changeRecorder(db: Database.Database): (change: StoreChange) => void {
  const insert = db.prepare<[number, string]>('INSERT INTO store_changes (at, payload) VALUES (?, ?)');
  return (change) => {
    insert.run(Date.now(), JSON.stringify(change));
  };
}

/** Kept for processes that start late or fall behind; older rows are dropped by the poller. */
const KEEP_MS = 10 * 60 * 1000;

/**
 * Other processes' changes to the same SQLite file (`serve --workers`): SQLite has no NOTIFY, so
 * this polls. `PRAGMA data_version` changes only when another connection commits, and costs no
 * I/O, so the table is read only after a commit elsewhere: every 20 ms by default, a few
 * microseconds when nothing changed. This process's own writes come back too; applying them again
 * is a no-op (routing is applied only when newer).
 */
export class SqliteChangeStream implements ChangeStream {
  private timer: NodeJS.Timeout | undefined;
  private last = 0;
  private version = -1;
  private readonly started = Date.now();

  constructor(
    private readonly db: Database.Database,
    private readonly everyMs = 20,
  ) {}

  async start(onChange: (change: StoreChange) => void): Promise<void> {
    const dataVersion = () => this.db.pragma('data_version', { simple: true }) as number;
    const since = this.db.prepare<[number], { id: number; payload: string }>('SELECT id, payload FROM store_changes WHERE id > ? ORDER BY id');
    const purge = this.db.prepare<[number]>('DELETE FROM store_changes WHERE at < ?');
    this.last = (this.db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM store_changes').get() as { id: number }).id;
    this.version = dataVersion();
    let polls = 0;
    const poll = () => {
      const v = dataVersion();
      if (v !== this.version) {
        this.version = v;
        for (const row of since.all(this.last)) {
          this.last = row.id;
          const change = parseStoreChange(row.payload);
          if (change) onChange(change);
        }
      }
      if (++polls % 3000 === 0) purge.run(Date.now() - KEEP_MS);
    };
    this.timer = setInterval(poll, this.everyMs);
    this.timer.unref();
  }

  /** One file on this machine: there is no link to lose. */
  link(): StoreLink {
    return { connected: true, since: this.started, error: null };
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
  }
}
