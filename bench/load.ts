import autocannon from 'autocannon';
import { WrkLoad, wrkPath, type LoadResult } from './wrk.js';

export type { LoadResult } from './wrk.js';

/** What to load: POSTs of `body()` to `path`; `key` names the body set (wrk's script is written once per key). */
export interface LoadTarget {
  readonly key: string;
  readonly url: string;
  readonly path: string;
  readonly body: () => string;
}

/** A load generator: wrk when it is installed, autocannon otherwise. */
export interface LoadGenerator {
  /** What made the load, for the report. */
  readonly name: string;
  run(target: LoadTarget, seconds: number, connections: number): Promise<LoadResult>;
  close(): void;
}

/** Bodies per wrk script: enough that no row repeats often enough to be a cache's gift. */
const WRK_BODIES = 2000;

class Wrk implements LoadGenerator {
  private readonly scripts = new Map<string, string>();
  private readonly wrk: WrkLoad;

  constructor(
    path: string,
    readonly name: string,
  ) {
    this.wrk = new WrkLoad(path);
  }

  run(t: LoadTarget, seconds: number, connections: number): Promise<LoadResult> {
    let script = this.scripts.get(t.key);
    if (script === undefined) {
      script = this.wrk.script(t.path, Array.from({ length: WRK_BODIES }, t.body));
      this.scripts.set(t.key, script);
    }
    return this.wrk.run(t.url, script, seconds, connections);
  }

  close(): void {
    this.wrk.close();
  }
}

/**
 * autocannon, in this process: it spends about 65 µs of CPU per request on the same cores as the
 * server (wrk ~10 µs), which squeezes every ratio towards 1. The fallback where wrk is missing.
 */
class Autocannon implements LoadGenerator {
  readonly name = 'autocannon (wrk is not installed: apt-get install wrk)';

  async run(t: LoadTarget, seconds: number, connections: number): Promise<LoadResult> {
    const r = await autocannon({
      url: t.url + t.path,
      method: 'POST',
      connections,
      duration: seconds,
      headers: { 'content-type': 'application/json' },
      requests: [{ setupRequest: (req) => ({ ...req, body: t.body() }) }],
    });
    return { rps: r.requests.average, requests: r.requests.total, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors + r.timeouts };
  }

  close(): void {}
}

/** wrk when it is on the PATH (and BENCH_LOAD is not `autocannon`), else autocannon. */
export function loadGenerator(): LoadGenerator {
  const wrk = process.env.BENCH_LOAD === 'autocannon' ? null : wrkPath();
  return wrk ? new Wrk(wrk, 'wrk -t2') : new Autocannon();
}
