import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { churnRows } from '../examples/index.js';
import { freePort, spawnServer, type ServerProcess } from '../test-support/server-process.js';

const ROUNDS = Number(process.env.COALMINE_CRASH_ROUNDS ?? 20);
const QUICK_ANALYSIS = [{ metric: 'error_rate', critical: true, judge: { judge: 'threshold', statistic: 'rate', max: 0.05, minSamples: 5 } }];
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

interface Decision {
  seq: number;
  action: string;
  step: number;
  weight: number;
  at: string;
}
interface RolloutView {
  id: string;
  phase: string;
  step: number;
  weight: number;
  canary_version: number;
  last_decision: Decision | null;
}
interface ModelView {
  stable_version: number;
  canary_version: number | null;
  canary_weight: number;
  revision: number;
}

/** A small seeded generator, so a failing round can be replayed with the same kill times. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

async function json<T>(url: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as T };
}

const post = <T>(url: string, body?: unknown) => json<T>(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });

describe('crash test', () => {
  it(`loses no acknowledged change or decision over ${ROUNDS} SIGKILLs during rollouts under traffic`, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'coalmine-crash-'));
    dirs.push(dataDir);
    const port = await freePort();
    const random = lcg(Number(process.env.COALMINE_CRASH_SEED ?? 7));
    let server: ServerProcess = await spawnServer(dataDir, port, ['--examples']);
    const base = server.url;
    const m = `${base}/v1/models/churn`;
    const rows = churnRows(2000, 5);
    let sending = true;
    let n = 0;
    const sender = async () => {
      while (sending) {
        const r = rows[n++ % rows.length]!;
        await fetch(`${base}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ features: r.features, label: r.label }) }).catch(() => new Promise((res) => setTimeout(res, 50)));
      }
    };
    const senders = Array.from({ length: 4 }, sender);
    /** Every decision a reply acknowledged, by rollout and sequence number. */
    const acked = new Map<string, Decision>();
    let lastRevision = 0;
    let kills = 0;
    try {
      for (let round = 0; round < ROUNDS; round++) {
        // Keep a rollout running: start one (alternating the version) when the last one ended.
        let rollout = await json<RolloutView>(`${m}/rollout`);
        if (rollout.status === 404 || ['succeeded', 'rolled_back', 'failed'].includes(rollout.body.phase)) {
          // Read after the rollout has ended: read before, the stable version could still change
          // under the test (a rollout that succeeds in between) and the next canary be the stable.
          const model = (await json<ModelView>(m)).body;
          const canary = model.stable_version === 1 ? 2 : 1;
          const started = await post<RolloutView>(`${m}/rollout`, { canary, steps: [10, 20, 30, 40, 50, 60, 70, 80, 90], interval: '150ms', bake: '200ms', minSamples: 3, analysis: QUICK_ANALYSIS });
          assert.equal(started.status, 201, JSON.stringify(started.body));
          rollout = started;
        }
        const ack = (r: RolloutView) => {
          if (r.last_decision) acked.set(`${r.id}#${r.last_decision.seq}`, r.last_decision);
        };
        ack(rollout.body);
        // Acknowledged commands and weight changes at random moments, then a kill, maybe mid-request.
        const until = Date.now() + 100 + random() * 900;
        while (Date.now() < until) {
          const r = (await json<RolloutView>(`${m}/rollout`)).body;
          ack(r);
          const command = r.phase === 'progressing' ? 'pause' : r.phase === 'paused' ? 'resume' : null;
          if (command && random() < 0.5) {
            const res = await post<RolloutView>(`${m}/rollout/${command}`);
            if (res.status === 200) ack(res.body);
          }
          const history = await json<{ rollout: string; decisions: Decision[] }>(`${m}/rollout/history`);
          for (const d of history.body.decisions) acked.set(`${history.body.rollout}#${d.seq}`, d);
          lastRevision = Math.max(lastRevision, (await json<ModelView>(m)).body.revision);
          await new Promise((res) => setTimeout(res, random() * 100));
        }
        // Sometimes kill while a command is in flight: its reply may or may not arrive first.
        const inflight = random() < 0.5 ? post<RolloutView>(`${m}/rollout/pause`).then((res) => (res.status === 200 ? ack(res.body) : undefined), () => undefined) : Promise.resolve();
        await new Promise((res) => setTimeout(res, random() * 15));
        await server.kill('SIGKILL');
        kills++;
        await inflight;
        server = await spawnServer(dataDir, port);

        // Every acknowledged decision is there, in order, exactly once.
        const after = await json<{ rollout: string; decisions: Decision[] }>(`${m}/rollout/history`);
        const seqs = after.body.decisions.map((d) => d.seq);
        assert.deepEqual(seqs, seqs.map((_, k) => k + 1), `round ${round}: decisions are numbered 1..n without gaps or duplicates`);
        for (const [key, d] of acked) {
          const [id, seq] = key.split('#');
          if (id !== after.body.rollout) continue;
          const kept = after.body.decisions[Number(seq) - 1];
          assert.deepEqual(kept && { seq: kept.seq, action: kept.action, at: kept.at }, { seq: d.seq, action: d.action, at: d.at }, `round ${round}: acknowledged decision ${key} was kept`);
        }
        const restarted = (await json<ModelView>(m)).body;
        assert.ok(restarted.revision >= lastRevision, `round ${round}: routing revision ${restarted.revision} went back from ${lastRevision}`);
        // After a reconcile, routing matches the rollout's saved state.
        await new Promise((res) => setTimeout(res, 1200));
        // The rollout keeps advancing (a step every ~350 ms), so the two reads are taken between
        // two reads of the rollout that agree: otherwise a step taken between them is no mismatch.
        let r = (await json<RolloutView>(`${m}/rollout`)).body;
        let routing = (await json<ModelView>(m)).body;
        for (let tries = 0; tries < 20; tries++) {
          const again = (await json<RolloutView>(`${m}/rollout`)).body;
          if (again.phase === r.phase && again.step === r.step && again.last_decision?.seq === r.last_decision?.seq) break;
          r = again;
          routing = (await json<ModelView>(m)).body;
        }
        if (r.phase === 'progressing' || r.phase === 'paused') {
          assert.equal(routing.canary_version, r.canary_version, `round ${round}: canary matches the rollout`);
          assert.equal(routing.canary_weight, r.weight, `round ${round}: weight matches step ${r.step}`);
        } else if (r.phase === 'succeeded') {
          assert.equal(routing.stable_version, r.canary_version, `round ${round}: the promoted version is stable`);
        } else if (r.phase === 'rolled_back') {
          assert.equal(routing.canary_version, null, `round ${round}: a rolled back canary gets no traffic`);
        }
        lastRevision = Math.max(lastRevision, routing.revision);
      }
      assert.equal(kills, ROUNDS);
      assert.ok(acked.size > ROUNDS, `decisions were acknowledged along the way (${acked.size})`);
    } finally {
      sending = false;
      await Promise.all(senders);
      await server.kill('SIGTERM');
    }
  });
});
