/**
 * A shadow judged paired: each labelled request was answered by stable and by the shadow, so the
 * two correctness outcomes of a request are drawn together. How they go together is the
 * scenario's `flips`: P(the shadow wrong | stable right) and P(the shadow right | stable wrong).
 * At every look each method is asked whether the shadow is less accurate; counts how often one
 * ever says so (false alarms when both are equally accurate) and after how many labelled requests.
 */
import { judge, mcnemar, mcnemarSequentialLogLambda, type MetricSample } from '../src/analysis/index.js';
import { SeededRandom } from '../src/examples/index.js';
import { summarize, type SimulationResult } from './monitoring-simulation.js';

export interface PairedScenario {
  readonly name: string;
  readonly stableAccuracy: number;
  readonly flips: { readonly wrongWhenStableRight: number; readonly rightWhenStableWrong: number };
}

interface Tally {
  stable: number;
  shadow: number;
  /** Stable right, shadow wrong. */
  b: number;
  /** Shadow right, stable wrong. */
  c: number;
  n: number;
}

const ALPHA = 0.05;
const ctx = { metric: 'accuracy', unit: 'ratio' as const, label: 'accuracy' };
const proportion = (successes: number, trials: number): MetricSample => ({ proportion: { successes, trials } });

export const PAIRED_METHODS: readonly { readonly name: string; readonly alarm: (t: Tally) => boolean }[] = [
  {
    name: 'mcnemar_sequential (coalmine shadow judge: always-valid, Beta(1,1) mixture)',
    alarm: (t) => mcnemarSequentialLogLambda(t.b, t.c, 1) >= Math.log(1 / ALPHA),
  },
  {
    name: 'mcnemar_exact_repeated (one-sided exact p at every look once n >= 36: not valid under peeking)',
    alarm: (t) => t.n >= 36 && mcnemar(t.b, t.c).exactGreater <= ALPHA,
  },
  {
    name: "sequential_judge_rate unpaired (today's canary judge on the same labels, as two arms)",
    alarm: (t) => judge(ctx, proportion(t.stable, t.n), proportion(t.shadow, t.n), { judge: 'sequential', statistic: 'rate', better: 'higher', alpha: ALPHA, mde: 0.05, minSamples: 10 }).status === 'fail',
  },
];

export function simulatePaired(s: PairedScenario, opts: { runs: number; nMax: number; lookEvery: number; seed: number }): SimulationResult[] {
  const first = PAIRED_METHODS.map(() => [] as number[]);
  const rng = new SeededRandom(opts.seed);
  for (let run = 0; run < opts.runs; run++) {
    const t: Tally = { stable: 0, shadow: 0, b: 0, c: 0, n: 0 };
    const done = PAIRED_METHODS.map(() => false);
    while (t.n < opts.nMax && !done.every(Boolean)) {
      const stableRight = rng.next() < s.stableAccuracy;
      const shadowRight = stableRight ? rng.next() >= s.flips.wrongWhenStableRight : rng.next() < s.flips.rightWhenStableWrong;
      t.n++;
      if (stableRight) t.stable++;
      if (shadowRight) t.shadow++;
      if (stableRight && !shadowRight) t.b++;
      if (shadowRight && !stableRight) t.c++;
      if (t.n % opts.lookEvery !== 0) continue;
      PAIRED_METHODS.forEach((m, i) => {
        if (!done[i] && m.alarm(t)) {
          done[i] = true;
          first[i]!.push(t.n);
        }
      });
    }
    done.forEach((d, i) => d || first[i]!.push(Number.POSITIVE_INFINITY));
  }
  return PAIRED_METHODS.map((m, i) => summarize(s.name, m.name, first[i]!, opts.runs));
}

/**
 * Shadows at 90% → 85% differ in how their errors line up with stable's: the more they share,
 * the fewer discordant pairs and the faster the paired test decides. The middle one fixes 30% of
 * stable's errors and makes new ones on 8.9% of stable's right answers (11% discordant).
 */
export const PAIRED_SCENARIOS: readonly (PairedScenario & { seed: number })[] = [
  { name: 'paired: equally accurate 90%, 6.7% discordant (false alarms)', stableAccuracy: 0.9, flips: { wrongWhenStableRight: 0.1 * 0.3 / 0.9, rightWhenStableWrong: 0.3 }, seed: 10_010 },
  { name: 'paired: accuracy 90% → 85%, 11% discordant', stableAccuracy: 0.9, flips: { wrongWhenStableRight: (0.9 + 0.03 - 0.85) / 0.9, rightWhenStableWrong: 0.3 }, seed: 11_011 },
  { name: 'paired: accuracy 90% → 85%, errors independent (22% discordant)', stableAccuracy: 0.9, flips: { wrongWhenStableRight: 0.15, rightWhenStableWrong: 0.85 }, seed: 12_012 },
  { name: 'paired: accuracy 90% → 85%, the shadow errs wherever stable does (5% discordant)', stableAccuracy: 0.9, flips: { wrongWhenStableRight: 0.05 / 0.9, rightWhenStableWrong: 0 }, seed: 13_013 },
];
