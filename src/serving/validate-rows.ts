import { appError, labelProblem, type FeatureRow, type Label, type ModelSignature } from '../domain/index.js';

const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Checks rows against the model's signature before the model runs, so bad input is a clear 400
 * and never a model error. Reports the first problem with its row and column.
 */
export function validateRows(model: string, rows: readonly FeatureRow[], signature: ModelSignature, maxRows: number): void {
  if (rows.length === 0) throw appError('invalid_features', 'features is empty: send one row [f1, f2, …] or a batch [[…], …]');
  if (rows.length > maxRows) {
    throw appError('invalid_features', `a batch may hold at most ${maxRows} rows, got ${rows.length}; split it into smaller requests`);
  }
  const expected = signature.featureCount ?? rows[0]!.length;
  const limit = signature.inputType === 'float32' ? FLOAT32_MAX : Number.MAX_VALUE;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const where = rows.length > 1 ? `row ${i}` : 'features';
    if (row.length !== expected) {
      throw appError('invalid_features', `${where} has ${row.length} values; model "${model}" expects ${expected} features per row`);
    }
    for (let j = 0; j < row.length; j++) {
      const v = row[j];
      if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > limit) {
        throw appError('invalid_features', `${where}, feature ${j}: ${String(v)} is not a finite number the model can take`);
      }
    }
  }
}

/** Labels must line up with rows and be answers the model can give, so no label can pollute a statistic. */
export function validateLabels(labels: readonly (Label | null)[], rows: number, signature: ModelSignature): void {
  if (labels.length !== rows) {
    throw appError('invalid_request', `label has ${labels.length} values for ${rows} rows; send one label per row (null where unknown)`);
  }
  labels.forEach((l, i) => {
    const problem = l === null ? null : labelProblem(l, signature);
    if (problem) throw appError('invalid_request', `label${rows > 1 ? ` of row ${i}` : ''} ${problem}`);
  });
}
