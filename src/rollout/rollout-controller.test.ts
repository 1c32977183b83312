import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { createApp, ensureExampleModels, type App } from '../app/index.js';
import { churnRows } from '../examples/index.js';
import { bucketOf, seedForModel } from '../routing/index.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

interface Harness {
  app: App;
  clock: { now: number };
  dataDir: string;
}

async function harness(dataDir = mkdtempSync(join(tmpdir(), 'coalmine-rollout-')), clock = { now: Date.parse('2026-03-01T00:00:00Z') }): Promise<Harness> {
  dirs.push(dataDir);
  // The lab's absolute limit (p95 ≤ 100 ms) is lifted: bursts of in-process predictions on a
  // starved CI machine once crossed it and rolled back a healthy canary. The stories here are the
  // controller's; a slow canary is still caught by the comparative latency judge (5 ms margin).
  const app = await createApp({ dataDir, port: 0, latencyThresholdMs: 60_000 }, { logger: pino({ level: 'silent' }), now: () => new Date(clock.now), scheduler: false });
  await ensureExampleModels(app.registry, 2000);
  await app.registry.rollback('churn', 'test setup: start without a canary');
  return { app, clock, dataDir };
}

let seed = 1;
/**
 * Concurrent predictions per burst. Within a burst the variant scored second (usually the canary,
 * which gets fewer of the first requests) waits for the other's model call and bookkeeping, and a
 * stall of the machine delays every request of the burst at once. With 200 a burst the canary's
 * mean latency came out 0.1-0.4 ms above stable's (means of 0.9-4.1 ms), and once, on a starved
 * CI machine, over the latency judge's 5 ms margin: a healthy canary rolled back. With 50, the
 * means were 0.2-0.4 ms and 0.03 ms apart at most.
 */
const BURST = 50;

/** Labelled traffic through the real prediction path, in concurrent bursts. */
async function traffic(app: App, n: number, keys?: (i: number) => string): Promise<void> {
  const rows = churnRows(n, seed++);
  for (let i = 0; i < rows.length; i += BURST) {
    await Promise.all(rows.slice(i, i + BURST).map((r, j) => app.predictions.predict('churn', { rows: [r.features], labels: [r.label], key: keys?.(i + j) })));
  }
}

/** A round: traffic, then time passes, then one reconcile pass (what the scheduler does). */
async function round(h: Harness, n: number, keys?: (i: number) => string) {
  await traffic(h.app, n, keys);
  h.clock.now += 11_000;
  await h.app.rollouts.reconcile('churn');
  return h.app.rollouts.get('churn');
}

const SPEC = { canary: 2, steps: [20, 50, 100], interval: '10s', bake: '10s', minSamples: 100 };

describe('rollout controller', () => {
  it('walks a healthy canary through every step to succeeded', async () => {
    const h = await harness();
    try {
      let r = await h.app.rollouts.start('churn', SPEC);
      assert.equal(r.phase, 'progressing');
      assert.equal((await h.app.registry.get('churn')).routing.canaryWeightBp, 2000);
      assert.notEqual(r.stepRoutingRevision, null);
      for (let i = 0; i < 6 && r.phase === 'progressing'; i++) r = await round(h, 3000);
      assert.equal(r.phase, 'succeeded', r.history.map((d) => `${d.action}: ${d.reason}`).join('\n'));
      const routing = (await h.app.registry.get('churn')).routing;
      assert.equal(routing.stableVersion, 2);
      assert.equal(routing.canaryVersion, null);
      const actions = r.history.map((d) => d.action);
      assert.deepEqual([actions[0], actions.at(-2), actions.at(-1)], ['start', 'promote', 'succeed']);
      assert.ok(actions.includes('advance'));
      const advance = r.history.find((d) => d.action === 'advance')!;
      assert.equal(advance.analysis!.status, 'pass');
      assert.ok(advance.analysis!.verdicts.length >= 3, 'every metric verdict is kept with the decision');
      assert.deepEqual(r.history.map((d) => d.seq), r.history.map((_, i) => i + 1));
    } finally {
      await h.app.close();
    }
  });

  for (const [name, fault, metric] of [
    ['wrong answers', { wrongRate: 0.4 }, /accuracy/],
    ['a slowdown', { delayMs: [20, 25] as [number, number] }, /latency/],
    ['errors', { errorRate: 0.2 }, /error_rate/],
  ] as const) {
    it(`rolls back a canary with ${name} at the first step, naming the metric`, async () => {
      const h = await harness();
      try {
        const { toFaultConfig } = await import('../registry/index.js');
        await h.app.settings.setFault('churn', 'canary', toFaultConfig(fault));
        await h.app.rollouts.start('churn', SPEC);
        let r = await h.app.rollouts.get('churn');
        for (let i = 0; i < 4 && r.phase === 'progressing'; i++) r = await round(h, 2000);
        assert.equal(r.phase, 'rolled_back', r.history.map((d) => d.reason).join('\n'));
        assert.equal(r.stepIndex, 0, 'caught at the first step');
        assert.match(r.reason!, metric);
        assert.equal((await h.app.registry.get('churn')).routing.canaryVersion, null, 'the canary gets no more traffic');
        const decision = r.history.at(-1)!;
        assert.equal(decision.action, 'rollback');
        assert.equal(decision.analysis!.status, 'fail');
      } finally {
        await h.app.close();
      }
    });
  }

  it('pauses on a sample-ratio mismatch instead of judging', async () => {
    const h = await harness();
    try {
      await h.app.rollouts.start('churn', SPEC);
      const seedOf = seedForModel('churn');
      // A key population that lands almost entirely on stable: the split no longer holds.
      const keys: string[] = [];
      for (let i = 0; keys.length < 3000; i++) if (bucketOf(`k${i}`, seedOf) >= 2000 || i % 40 === 0) keys.push(`k${i}`);
      const r = await round(h, 3000, (i) => keys[i]!);
      assert.equal(r.phase, 'paused');
      assert.equal(r.reason, 'sample ratio mismatch');
      assert.equal(r.history.at(-1)!.analysis!.srmMismatch, true);
      assert.equal((await h.app.registry.get('churn')).routing.canaryWeightBp, 2000, 'weights stay where they were');
    } finally {
      await h.app.close();
    }
  });

  it('stays inconclusive with too little traffic rather than promoting', async () => {
    const h = await harness();
    try {
      await h.app.rollouts.start('churn', SPEC);
      let r = await h.app.rollouts.get('churn');
      for (let i = 0; i < 4; i++) r = await round(h, 40);
      assert.equal(r.phase, 'progressing');
      assert.equal(r.stepIndex, 0);
      const holds = r.history.filter((d) => d.action === 'hold');
      assert.equal(holds.length, 4);
      assert.ok(holds.every((d) => d.analysis!.status !== 'fail'));
      assert.match(holds.at(-1)!.reason, /more canary requests needed|not enough evidence/);
    } finally {
      await h.app.close();
    }
  });

  it('obeys manual control: pause, resume, promote one step, promote to full, abort, retry', async () => {
    const h = await harness();
    try {
      const c = h.app.rollouts;
      await c.start('churn', { canary: 2, steps: [10, 30, 60, 90], interval: '10s' });
      assert.equal((await c.command('churn', 'pause', 'looking at dashboards')).phase, 'paused');
      await assert.rejects(c.command('churn', 'pause'), /cannot pause a rollout that is paused/);
      assert.equal((await c.command('churn', 'resume')).phase, 'progressing');
      const advanced = await c.command('churn', 'promote');
      assert.equal(advanced.stepIndex, 1);
      assert.equal((await h.app.registry.get('churn')).routing.canaryWeightBp, 3000);
      const aborted = await c.command('churn', 'abort', 'not today');
      assert.equal(aborted.phase, 'rolled_back');
      assert.equal((await h.app.registry.get('churn')).routing.canaryVersion, null);
      const retried = await c.command('churn', 'retry');
      assert.equal(retried.phase, 'progressing');
      assert.equal(retried.attempt, 2);
      assert.equal((await h.app.registry.get('churn')).routing.canaryWeightBp, 1000);
      const full = await c.command('churn', 'promote-full');
      assert.equal(full.phase, 'succeeded');
      assert.equal((await h.app.registry.get('churn')).routing.stableVersion, 2);
      await assert.rejects(c.start('churn', { canary: 2 }), /already stable/);
      await assert.rejects(c.start('churn', { canary: 9 }), /has no version 9/);
    } finally {
      await h.app.close();
    }
  });

  it('allows one active rollout per model', async () => {
    const h = await harness();
    try {
      await h.app.rollouts.start('churn', SPEC);
      await assert.rejects(h.app.rollouts.start('churn', SPEC), /already has an active rollout/);
    } finally {
      await h.app.close();
    }
  });

  it('resumes after a restart in the same phase and step, with the bake time continuing', async () => {
    const h = await harness();
    await h.app.rollouts.start('churn', { ...SPEC, bake: '60s' });
    const before = await round(h, 3000);
    await h.app.close();
    h.clock.now += 5_000;
    const again = await harness(h.dataDir, h.clock).catch(async () => {
      throw new Error('restart failed');
    });
    try {
      const r = await again.app.rollouts.get('churn');
      assert.equal(r.phase, before.phase);
      assert.equal(r.stepIndex, before.stepIndex);
      assert.equal(r.stepStartedAt, before.stepStartedAt, 'the bake clock did not restart');
      assert.deepEqual(r.history, before.history);
    } finally {
      await again.app.close();
    }
  });

  it('posts phase changes to webhooks, retrying a failing receiver', async () => {
    const received: { from: string; to: string; delivery_id: number }[] = [];
    let fail = 2;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        if (fail-- > 0) {
          res.writeHead(500).end();
          return;
        }
        received.push(JSON.parse(body));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const h = await harness();
    try {
      await h.app.rollouts.start('churn', { ...SPEC, webhooks: [`http://127.0.0.1:${port}/hook`] });
      await h.app.rollouts.command('churn', 'abort', 'testing webhooks');
      const { WebhookSender } = await import('./index.js');
      const { SqliteRolloutStore, openDatabase } = await import('../store/index.js');
      const db = openDatabase(join(h.dataDir, 'coalmine.db'));
      let t = Date.now();
      const sender = new WebhookSender(new SqliteRolloutStore(db), pino({ level: 'silent' }), () => t);
      for (let i = 0; i < 6 && received.length < 2; i++) {
        await sender.deliver();
        t += 60_000;
      }
      db.close();
      assert.deepEqual(received.map((r) => [r.from, r.to]), [['pending', 'progressing'], ['progressing', 'rolled_back']]);
      assert.ok(received.every((r) => typeof r.delivery_id === 'number'));
    } finally {
      await h.app.close();
      server.close();
    }
  });
});
