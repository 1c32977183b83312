import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { simulate } from '../bench/monitoring-simulation.js';

// A smaller, seeded run of `npm run bench:analysis` (which uses 2,000 runs): deterministic, so the
// bounds below are not flaky, and wide enough (≥ 3 Monte Carlo standard errors) to be honest.
const opts = { runs: 400, nMax: 2000, lookEvery: 10 };

describe('continuous monitoring (simulated rollouts)', () => {
  it('sequential judges keep false alarms under 5% where repeated tests cry wolf', () => {
    const latency = simulate({ name: 'null', kind: 'latency', shift: 0 }, { ...opts, seed: 5005 });
    const welch = latency.find((r) => r.method.startsWith('welch_repeated'))!;
    const sequential = latency.find((r) => r.method.startsWith('sequential_judge'))!;
    assert.ok(welch.alarm_rate > 0.25, `repeated Welch should show the problem: ${welch.alarm_rate}`);
    assert.ok(sequential.alarm_rate <= 0.05, `sequential judge false alarms ${sequential.alarm_rate}`);
    const accuracy = simulate({ name: 'null', kind: 'accuracy', accuracy: { stable: 0.9, canary: 0.9 } }, { ...opts, seed: 8008 });
    assert.ok(accuracy.find((r) => r.method.startsWith('sequential_judge_rate'))!.alarm_rate <= 0.05);
  });

  it('detects +10 ms within 1.5x the samples of the repeated Welch test', () => {
    const results = simulate({ name: '+10', kind: 'latency', shift: 10 }, { ...opts, seed: 6006 });
    const welch = results.find((r) => r.method.startsWith('welch_repeated'))!.median_n_per_arm!;
    const sequential = results.find((r) => r.method.startsWith('sequential_judge'))!;
    assert.equal(sequential.alarm_rate, 1);
    assert.ok(sequential.median_n_per_arm! <= 1.5 * welch, `${sequential.median_n_per_arm} vs ${welch}`);
  });
});
