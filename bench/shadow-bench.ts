/**
 * The shadow-mode scenario of `npm run bench`: predictions of stable v1 (no canary) with the
 * example's v2 as a shadow sampled at 100%, answering 20 ms later than the primary (an injected
 * delay: a timer, not CPU, as a slower model server would be), against the same predictions with
 * no shadow, slice for slice in the same run (ABBA), so what the shadow costs the reply path is a
 * ratio of two figures measured seconds apart. The shadow is in-process ONNX: a model server in
 * another process would take its CPU from coalmine's on a two-core machine, and the figure would
 * measure the neighbour.
 */

export interface Slot {
  readonly rps: number;
  readonly requests: number;
  /** coalmine's event-loop thread CPU over the slice (µs); null off Linux. */
  readonly mainCpuUs: number | null;
  /** coalmine's CPU over the slice, all its threads (µs); null off Linux. */
  readonly cpuUs: number | null;
  readonly p50: number;
  readonly p99: number;
  readonly non2xx: number;
  readonly errors: number;
}

const SHADOW_DELAY_MS = Number(process.env.BENCH_SHADOW_DELAY_MS ?? 20);

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round3 = (x: number) => Number(x.toFixed(3));

async function call(url: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(url + path, { method, ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return JSON.parse(text) as unknown;
}

interface ShadowStatusReply {
  readonly reported: { readonly status: string } | null;
}

/** Lead-in seconds at most per shadow slice: the controller's watch judges once a second. */
const LEAD_IN_MAX_S = 4;

interface ShadowTotals {
  metrics: { offered: number; dropped: number; shed: number; answered: number; errors: number; latency: { shadow: { p50_ms: number | null } } } | null;
}

export async function runShadowPair(url: string, measure: (seconds: number) => Promise<Slot>, opts: { rounds: number; sliceS: number }) {
  await call(url, 'POST', '/v1/models/churn/rollback', { reason: 'the shadow scenario: v2 is the shadow, not the canary' });
  const version = 2;
  try {
    const start = async () => {
      await call(url, 'POST', '/v1/models/churn/shadow', { version, sample: 100 });
      if (SHADOW_DELAY_MS > 0) await call(url, 'POST', '/v1/models/churn/faults', { variant: 'shadow', delay_ms: SHADOW_DELAY_MS });
    };
    const stop = () => call(url, 'DELETE', '/v1/models/churn/shadow');
    await start();
    await measure(2); // warm-up: the upstream pool's connections, the comparisons' writer
    await stop();
    const without: Slot[] = [];
    const withShadow: Slot[] = [];

    const totals = { offered: 0, dropped: 0, shed: 0, answered: 0, errors: 0, shadowP50: [] as number[] };
    let leadInS = 0;
    const shadowed = async () => {
      await start();
      // A new session's verdict is saved (and its webhooks queued) in one synchronous, fsynced
      // transaction when it first turns pass or fail: a once-a-session event of a few ms on the
      // event loop that, with a session per one-second slice, set the slice's p99. Unmeasured
      // load leads in until it has happened, so the slice measures a running shadow.
      for (let i = 0; i < LEAD_IN_MAX_S; i++) {
        await measure(1);
        leadInS++;
        const status = (await call(url, 'GET', '/v1/models/churn/shadow')) as ShadowStatusReply;
        if (status.reported !== null && status.reported.status !== 'inconclusive') break;
      }
      withShadow.push(await measure(opts.sliceS));
      const s = (await stop()) as ShadowTotals;
      if (s.metrics) {
        totals.offered += s.metrics.offered;
        totals.dropped += s.metrics.dropped;
        totals.shed += s.metrics.shed;
        totals.answered += s.metrics.answered;
        totals.errors += s.metrics.errors;
        if (s.metrics.latency.shadow.p50_ms !== null) totals.shadowP50.push(s.metrics.latency.shadow.p50_ms);
      }
    };
    for (let i = 0; i < opts.rounds; i++) {
      if (i % 2 === 0) {
        without.push(await measure(opts.sliceS));
        await shadowed();
      } else {
        await shadowed();
        without.push(await measure(opts.sliceS));
      }
    }
    const pairs = without.map((w, i) => ({ w, s: withShadow[i]! }));
    const perRequest = (xs: readonly Slot[], f: (x: Slot) => number | null) => (xs.every((x) => f(x) !== null) ? Number((xs.reduce((n, x) => n + f(x)!, 0) / xs.reduce((n, x) => n + x.requests, 0)).toFixed(1)) : null);
    const loopUs = (xs: readonly Slot[]) => perRequest(xs, (x) => x.mainCpuUs);
    const cpuUs = (xs: readonly Slot[]) => perRequest(xs, (x) => x.cpuUs);
    const cpuRatios = pairs.every((p) => p.w.cpuUs !== null && p.s.cpuUs !== null) ? pairs.map((p) => p.w.cpuUs! / p.w.requests / (p.s.cpuUs! / p.s.requests)) : null;
    return {
      scenario: `predict, stable only, a shadow ${SHADOW_DELAY_MS} ms slower sampled at 100%`,
      requests_per_s_no_shadow: Math.round(median(without.map((x) => x.rps))),
      requests_per_s_shadow: Math.round(median(withShadow.map((x) => x.rps))),
      ratio_rps_shadow_vs_none: round3(median(pairs.map((p) => p.s.rps / p.w.rps))),
      ratio_rps_by_round: pairs.map((p) => round3(p.s.rps / p.w.rps)),
      // The server's CPU (all threads) per request without the shadow over with it: the steadier figure.
      ratio_cpu_none_vs_shadow: cpuRatios ? round3(median(cpuRatios)) : null,
      p50_ms_no_shadow: median(without.map((x) => x.p50)),
      p50_ms_shadow: median(withShadow.map((x) => x.p50)),
      p99_ms_no_shadow: median(without.map((x) => x.p99)),
      p99_ms_shadow: median(withShadow.map((x) => x.p99)),
      ratio_p99_shadow_vs_none: round3(median(pairs.map((p) => p.s.p99 / Math.max(1, p.w.p99)))),
      ratio_p99_by_round: pairs.map((p) => round3(p.s.p99 / Math.max(1, p.w.p99))),
      ratio_cpu_by_round: cpuRatios?.map(round3) ?? null,
      lead_in_s_per_shadow_slice: round3(leadInS / Math.max(1, withShadow.length)),
      shadow_sampled: totals.offered,
      shadow_answered: totals.answered,
      shadow_dropped: totals.dropped,
      shadow_shed: totals.shed,
      shadow_failed: totals.errors,
      shadow_p50_ms: totals.shadowP50.length > 0 ? median(totals.shadowP50) : null,
      event_loop_cpu_us_per_request_no_shadow: loopUs(without),
      event_loop_cpu_us_per_request_shadow: loopUs(withShadow),
      cpu_us_per_request_no_shadow: cpuUs(without),
      cpu_us_per_request_shadow: cpuUs(withShadow),
      // The session's totals include the lead-in; at a 100% sample every request is offered.
      shadow_calls_per_request: totals.offered > 0 ? Number((totals.answered / totals.offered).toFixed(3)) : null,
      non_2xx: [...without, ...withShadow].reduce((n, x) => n + x.non2xx, 0),
      errors: [...without, ...withShadow].reduce((n, x) => n + x.errors, 0),
    };
  } finally {
    await call(url, 'DELETE', '/v1/models/churn/shadow').catch(() => undefined);
  }
}

export function shadowSummary(s: Awaited<ReturnType<typeof runShadowPair>>): string {
  const answered = s.shadow_sampled > 0 ? ((s.shadow_answered / s.shadow_sampled) * 100).toFixed(1) : '0';
  return (
    `shadow ${SHADOW_DELAY_MS} ms slower at 100%: ${s.ratio_rps_shadow_vs_none}× the requests/s without a shadow (target ≥ 0.95; by round ${s.ratio_rps_by_round.join(', ')}), p99 ${s.ratio_p99_shadow_vs_none}× (target ≤ 1.2), server CPU per request without ÷ with ${s.ratio_cpu_none_vs_shadow ?? 'n/a'}; ` +
    `p50 ${s.p50_ms_shadow} vs ${s.p50_ms_no_shadow} ms; the shadow answered ${answered}% of ${s.shadow_sampled} sampled requests (${s.shadow_dropped} dropped at the in-flight limit, ${s.shadow_shed} shed while the server was saturated, ${s.shadow_failed} failed)`
  );
}
