import { AppError } from '../domain/index.js';

/** A compare-and-set save lost to another writer (another replica, with a shared store): read again and decide again. */
export class RevisionConflictError extends AppError {
  constructor(message: string) {
    super('conflict', message);
    this.name = 'RevisionConflictError';
  }
}

export function revisionConflict(model: string, expected: number, actual: number): AppError {
  return new RevisionConflictError(`model ${model} changed while this request was being handled (revision ${actual}, expected ${expected}); read it again and retry`);
}
