/**
 * Who drives what when several replicas share the state: a named lease, held by one holder
 * until it expires unless renewed. Expiry is measured by the store's clock, so replicas whose
 * clocks disagree still agree on who holds it.
 */
export interface LeaseStore {
  /** Takes `name` for `holder`, or renews it, for `ttlMs` from now; true when `holder` holds it afterwards. */
  acquire(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up at once (a clean shutdown), so another replica need not wait for it to expire. */
  release(name: string, holder: string): Promise<void>;
}

/** One process alone on its state (SQLite's data directory is locked to it): it always holds every lease. */
export class SoleLeaseStore implements LeaseStore {
  async acquire(): Promise<boolean> {
    return true;
  }

  async release(): Promise<void> {}
}
