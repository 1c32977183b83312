/**
 * Logistic regression fitted by Newton's method (IRLS) with a small ridge penalty. Written by hand
 * because it is a few dozen lines for at most a few dozen features, and a deterministic fit
 * matters more here than generality: the example models must be byte-identical on every install.
 */
export interface LogisticFit {
  readonly weights: number[];
  readonly bias: number;
}

/** Solves A x = b for a symmetric positive-definite A by Gaussian elimination with pivoting. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    for (let r = col + 1; r < n; r++) {
      const factor = m[r]![col]! / m[col]![col]!;
      for (let c = col; c <= n; c++) m[r]![c]! -= factor * m[col]![c]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let sum = m[r]![n]!;
    for (let c = r + 1; c < n; c++) sum -= m[r]![c]! * x[c]!;
    x[r] = sum / m[r]![r]!;
  }
  return x;
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

export function fitLogistic(x: readonly (readonly number[])[], y: readonly number[], ridge = 1e-3, iterations = 25): LogisticFit {
  const d = (x[0]?.length ?? 0) + 1;
  let beta = new Array<number>(d).fill(0);
  for (let it = 0; it < iterations; it++) {
    const grad = new Array<number>(d).fill(0);
    const hess = Array.from({ length: d }, () => new Array<number>(d).fill(0));
    for (let i = 0; i < x.length; i++) {
      const row = [...x[i]!, 1];
      const p = sigmoid(row.reduce((s, v, j) => s + v * beta[j]!, 0));
      const w = Math.max(p * (1 - p), 1e-9);
      for (let j = 0; j < d; j++) {
        grad[j]! += (p - y[i]!) * row[j]!;
        for (let k = 0; k <= j; k++) hess[j]![k]! += w * row[j]! * row[k]!;
      }
    }
    for (let j = 0; j < d; j++) {
      for (let k = 0; k < j; k++) hess[k]![j] = hess[j]![k]!;
      if (j < d - 1) {
        hess[j]![j]! += ridge * x.length;
        grad[j]! += ridge * x.length * beta[j]!;
      }
    }
    const step = solve(hess, grad);
    beta = beta.map((b, j) => b - step[j]!);
    if (Math.max(...step.map(Math.abs)) < 1e-10) break;
  }
  return { weights: beta.slice(0, d - 1), bias: beta[d - 1]! };
}

export function predictLogistic(fit: LogisticFit, row: readonly number[]): number {
  return sigmoid(row.reduce((s, v, j) => s + v * fit.weights[j]!, fit.bias));
}
