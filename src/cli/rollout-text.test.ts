import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RolloutInfo } from '../wire/index.js';
import { rolloutText, stepBar } from './commands/rollout-commands.js';

const base: RolloutInfo = {
  id: 'r1', model: 'churn', phase: 'progressing', step: 2, steps_total: 4, steps_passed: 1, weight: 20, canary_version: 2, stable_version: 1,
  started_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z', step_started_at: '2026-01-01T00:00:00Z', next_analysis_at: null,
  reason: null, attempt: 1, consecutive_failures: 0, last_decision: null,
  spec: { steps: [5, 20, 50, 100].map((weight) => ({ weight, bake_s: 30, min_samples: 50, pause: false })), interval_s: 30, analysis: 'default', failure_limit: 0, inconclusive: 'wait', max_duration_s: 86400 },
};

describe('rollout status text', () => {
  it('while progressing: the step and the split', () => {
    assert.match(rolloutText(base), /step 2\/4: canary 20%, stable 80%/);
    assert.equal(stepBar(base), '[■ 5%]─[▶ 20%]─[  50%]─[  100%]');
  });

  it('after success: promoted, with the steps that were analysed, not "step 3/4: canary 100%"', () => {
    const text = rolloutText({ ...base, phase: 'succeeded', step: 3, steps_passed: 3, weight: 100 });
    assert.match(text, /promoted: v2 takes 100% \(3 of 4 steps passed their analysis\)/);
    assert.doesNotMatch(text, /step 3\/4/);
  });

  it('after a rollback: where it stopped, and that stable has all traffic', () => {
    assert.match(rolloutText({ ...base, phase: 'rolled_back', weight: 0 }), /stopped at step 2\/4: canary 0%, all traffic on stable v1/);
  });
});
