import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Rollout } from '../domain/index.js';
import { rolloutReport, reportMarkdown } from './rollout-report.js';
import { parseRolloutSpec } from './rollout-spec.js';
import { transition, type AnalysisResult, type RolloutEvent } from './transition.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

function fresh(steps: unknown[]): Rollout {
  const at = new Date(T0).toISOString();
  return {
    id: 'r1', model: 'churn', revision: 1, spec: parseRolloutSpec({ canary: 2, steps, interval: '10s', bake: '10s', minSamples: 10 }),
    phase: 'pending', stepIndex: 0, stepStartedAt: at, stepRoutingRevision: 1, startedAt: at, updatedAt: at, stableVersion: 1,
    consecutiveFailures: 0, nextAnalysisAt: null, reason: null, attempt: 1, history: [],
  };
}

/** What the controller's analyze() returns for the rollout's current step. */
const judged = (r: Rollout, status: AnalysisResult['status'], n: { stable: number; canary: number }): AnalysisResult => ({
  step: r.stepIndex, weightBp: r.spec.steps[r.stepIndex]!.weightBp, status, reason: status, srmMismatch: false, criticalFailure: status === 'fail', verdicts: [], n,
});

function run(r: Rollout, events: ((r: Rollout, at: number) => RolloutEvent)[]): Rollout {
  let at = T0;
  for (const e of events) {
    at += 20_000;
    const out = transition(r, e(r, at));
    assert.ok(out.ok, out.ok ? '' : out.error);
    r = out.next;
  }
  return r;
}

const start = (_r: Rollout, at: number): RolloutEvent => ({ type: 'start', at });
const pass = (n: number) => (r: Rollout, at: number): RolloutEvent => ({ type: 'analysis', at, result: judged(r, 'pass', { stable: n * 10, canary: n }) });

describe('rollout report: each analysis under the step it judged', () => {
  it('steps 5,20,50,100: three analysed steps passed, and 100% is the promotion', () => {
    const r = run(fresh([5, 20, 50, 100]), [start, pass(400), pass(1661), pass(828), (_r, at) => ({ type: 'promoted', at })]);
    const rep = rolloutReport(r, T0 + 1e6);
    assert.deepEqual(rep.steps.map((s) => [s.step, s.weight, s.result, s.analyses, s.n?.canary ?? null]), [
      [1, 5, 'passed', 1, 400],
      [2, 20, 'passed', 1, 1661],
      [3, 50, 'passed', 1, 828],
      [4, 100, 'promotion', 0, null],
    ]);
    assert.equal(rep.steps_passed, 3);
    const md = reportMarkdown(rep);
    assert.match(md, /\| 1 \| 5% \| passed \| 1 \| pass \| 4000\/400 \|/);
    assert.match(md, /\| 4 \| 100% \| promotion \| 0 \| - \| - \|/);
  });

  it('a rollback is reported at the step that failed; later steps were not reached', () => {
    const r = run(fresh([10, 50]), [start, (rr, at) => ({ type: 'analysis', at, result: judged(rr, 'fail', { stable: 500, canary: 60 }) })]);
    const rep = rolloutReport(r, T0 + 1e6);
    assert.deepEqual(rep.steps.map((s) => s.result), ['failed', 'not reached']);
    assert.equal(rep.steps[0]!.last_status, 'fail');
  });

  it('histories saved before analyses named their step are attributed the same way', () => {
    const r = run(fresh([5, 20, 100]), [start, pass(400), pass(900), (_r, at) => ({ type: 'promoted', at })]);
    const legacy: Rollout = { ...r, history: r.history.map((d) => (d.analysis ? { ...d, analysis: { ...d.analysis, step: undefined, weightBp: undefined } } : d)) };
    assert.deepEqual(rolloutReport(legacy, T0).steps.map((s) => [s.result, s.n?.canary ?? null]), rolloutReport(r, T0).steps.map((s) => [s.result, s.n?.canary ?? null]));
  });

  it('a step moved past by hand, a manual gate and the current step say so', () => {
    const r = run(fresh([10, { pause: true }, 30, 60]), [start, (_r, at) => ({ type: 'promote', at, full: false, actor: 'user' }), (_r, at) => ({ type: 'resume', at, actor: 'user' })]);
    assert.deepEqual(rolloutReport(r, T0).steps.map((s) => s.result), ['skipped by user', 'gate passed', 'current', 'not reached']);
  });
});
