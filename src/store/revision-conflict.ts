import { appError, type AppError } from '../domain/index.js';

export function revisionConflict(model: string, expected: number, actual: number): AppError {
  return appError(
    'conflict',
    `model ${model} changed while this request was being handled (revision ${actual}, expected ${expected}); read it again and retry`,
  );
}
