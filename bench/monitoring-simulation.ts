/**
 * Simulated rollouts under continuous monitoring: both arms grow by `lookEvery` observations
 * between looks, and each method is asked at every look whether the canary is worse. Counts how
 * often a method ever raises the alarm (false alarms when the arms are identical) and after how
 * many samples per arm it first does (time to detection when the canary is worse).
 */
import {
  addValue,
  EMPTY_MOMENTS,
  judge,
  msprtLogLambdaPaired,
  quantileSorted,
  twoProportionZTest,
  welchTTest,
  type JudgeConfig,
  type MetricSample,
  type Moments,
} from '../src/analysis/index.js';
import { SeededRandom } from '../src/examples/index.js';

export interface Scenario {
  readonly name: string;
  readonly kind: 'latency' | 'accuracy';
  /** latency: mean shift in ms of the canary (sd 15); accuracy: stable and canary accuracy. */
  readonly shift?: number;
  readonly accuracy?: { readonly stable: number; readonly canary: number };
}

export interface Method {
  readonly name: string;
  readonly kind: 'latency' | 'accuracy';
  /** True when the method raises the alarm at this look. */
  readonly alarm: (stable: Arm, canary: Arm, n: number) => boolean;
}

export interface Arm {
  moments: Moments;
  successes: number;
  trials: number;
}

export interface SimulationResult {
  readonly scenario: string;
  readonly method: string;
  readonly runs: number;
  readonly alarm_rate: number;
  readonly monte_carlo_se: number;
  /** Median samples per arm at the first alarm; runs that never alarm count as infinity. */
  readonly median_n_per_arm: number | null;
  readonly p10_n_per_arm: number | null;
  readonly p90_n_per_arm: number | null;
}

const SD = 15;
const ALPHA = 0.05;
const sample = (a: Arm): MetricSample => ({ moments: a.moments, proportion: { successes: a.successes, trials: a.trials } });
const ctx = { metric: 'm', unit: 'none' as const, label: 'm' };

function judged(config: JudgeConfig) {
  return (s: Arm, c: Arm) => judge(ctx, sample(s), sample(c), config).status === 'fail';
}

export const METHODS: readonly Method[] = [
  {
    name: 'welch_repeated_two_sided (the labs: Welch at every look once n >= 36)',
    kind: 'latency',
    alarm: (s, c, n) => n >= 36 && welchTTest(c.moments, s.moments, 'two-sided').pValue <= ALPHA,
  },
  {
    name: 'welch_judge_one_sided (coalmine welch_t judge, repeated)',
    kind: 'latency',
    alarm: judged({ judge: 'welch_t', better: 'lower', alpha: ALPHA, minSamples: 36 }),
  },
  {
    name: 'msprt_known_sigma_two_sided (reference mSPRT, tau 10)',
    kind: 'latency',
    alarm: (s, c, n) => msprtLogLambdaPaired(n, s.moments.mean, c.moments.mean, SD, SD, 10) >= Math.log(1 / ALPHA),
  },
  {
    name: 'sequential_judge (coalmine default: mSPRT, plug-in variance, margin 0, mde 10 ms)',
    kind: 'latency',
    alarm: judged({ judge: 'sequential', statistic: 'mean', better: 'lower', alpha: ALPHA, mde: 10, minSamples: 10 }),
  },
  {
    name: 'two_proportion_repeated_two_sided (repeated z-test once n >= 36)',
    kind: 'accuracy',
    alarm: (s, c, n) => n >= 36 && twoProportionZTest({ successes: c.successes, trials: c.trials }, { successes: s.successes, trials: s.trials }, 'two-sided').pValue <= ALPHA,
  },
  {
    name: 'sequential_judge_rate (coalmine default: mSPRT on accuracy, margin 0, mde 0.05)',
    kind: 'accuracy',
    alarm: judged({ judge: 'sequential', statistic: 'rate', better: 'higher', alpha: ALPHA, mde: 0.05, minSamples: 10 }),
  },
];

/** Runs every method of the scenario's kind on the same simulated streams. */
export function simulate(scenario: Scenario, opts: { runs: number; nMax: number; lookEvery: number; seed: number }): SimulationResult[] {
  const methods = METHODS.filter((m) => m.kind === scenario.kind);
  const firstAlarm = methods.map(() => [] as number[]);
  const rng = new SeededRandom(opts.seed);
  for (let run = 0; run < opts.runs; run++) {
    const stable: Arm = { moments: EMPTY_MOMENTS, successes: 0, trials: 0 };
    const canary: Arm = { moments: EMPTY_MOMENTS, successes: 0, trials: 0 };
    const done = methods.map(() => false);
    for (let n = 1; n <= opts.nMax; n++) {
      if (scenario.kind === 'latency') {
        stable.moments = addValue(stable.moments, SD * rng.normal());
        canary.moments = addValue(canary.moments, (scenario.shift ?? 0) + SD * rng.normal());
      } else {
        stable.trials++;
        canary.trials++;
        if (rng.next() < scenario.accuracy!.stable) stable.successes++;
        if (rng.next() < scenario.accuracy!.canary) canary.successes++;
      }
      if (n % opts.lookEvery !== 0) continue;
      methods.forEach((m, i) => {
        if (!done[i] && m.alarm(stable, canary, n)) {
          done[i] = true;
          firstAlarm[i]!.push(n);
        }
      });
      if (done.every(Boolean)) break;
    }
    methods.forEach((_, i) => {
      if (!done[i]) firstAlarm[i]!.push(Number.POSITIVE_INFINITY);
    });
  }
  return methods.map((m, i) => summarize(scenario.name, m.name, firstAlarm[i]!, opts.runs));
}

/** One method's first alarms over the runs (Infinity: never) as the figures the bench prints. */
export function summarize(scenario: string, method: string, firstAlarms: number[], runs: number): SimulationResult {
  const times = firstAlarms.sort((a, b) => a - b);
  const rate = times.filter(Number.isFinite).length / runs;
  const q = (p: number) => {
    const v = quantileSorted(times, p, 'higher');
    return Number.isFinite(v) ? v : null;
  };
  return { scenario, method, runs, alarm_rate: rate, monte_carlo_se: Math.sqrt((rate * (1 - rate)) / runs), median_n_per_arm: q(0.5), p10_n_per_arm: q(0.1), p90_n_per_arm: q(0.9) };
}
