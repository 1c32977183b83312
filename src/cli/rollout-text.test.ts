import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RolloutInfo } from '../wire/index.js';
import { rolloutText, stepBar } from './commands/rollout-commands.js';

const base: RolloutInfo = {
  id: 'r1', model: 'churn', phase: 'progressing', step: 2, steps_total: 4, steps_passed: 1, weight: 20, canary_version: 2, stable_version: 1,
  started_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z', step_started_at: '2026-01-01T00:00:00Z', next_analysis_at: null,
  reason: null, attempt: 1, consecutive_failures: 0, consecutive_errors: 0, last_decision: null,
  traffic: { router: 'builtin', where: "coalmine's own router", scale: 'basis points (0.01%)', weight: 20, effective_weight: 20, settings: null },
  metrics: { provider: 'builtin', url: null, preset: null, queries: null, error_limit: null },
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

  it('with a proxy and Prometheus: where the weights go, the rounded share, and the PromQL behind a failed verdict', () => {
    const text = rolloutText({
      ...base,
      traffic: { router: 'haproxy', where: 'HAProxy backend model (servers stable, canary) via /run/haproxy.sock', scale: '', weight: 20, effective_weight: 19.92, proxy_weights: { stable: 205, canary: 51 }, settings: {} },
      metrics: { provider: 'prometheus', url: 'http://127.0.0.1:9090', preset: 'haproxy', queries: {}, error_limit: 4 },
      last_decision: {
        seq: 3, at: '2026-01-01T00:01:00Z', step: 2, weight: 20, phase: 'rolled_back', action: 'rollback', reason: 'critical metric failed (error_rate)', actor: 'controller',
        analysis: { status: 'fail', reason: '', srm_mismatch: false, critical_failure: true, n: { stable: 80, canary: 20 }, verdicts: [{ metric: 'error_rate', status: 'fail', reason: 'canary 30% vs stable 0%', evidence: { queries: { errors: { stable: 'q-s', canary: 'sum(increase(x[9s]))' } } } }] },
      } as unknown as RolloutInfo['last_decision'],
    });
    assert.match(text, /traffic: HAProxy backend model .* weights stable 205 \/ canary 51 \(19.92% on its scale\)/);
    assert.match(text, /measured by prometheus at http:\/\/127.0.0.1:9090 \(preset haproxy\)/);
    assert.match(text, /errors \(canary\): sum\(increase\(x\[9s\]\)\)/);
  });

  it('after a rollback: where it stopped, and that stable has all traffic', () => {
    assert.match(rolloutText({ ...base, phase: 'rolled_back', weight: 0 }), /stopped at step 2\/4: canary 0%, all traffic on stable v1/);
  });
});
