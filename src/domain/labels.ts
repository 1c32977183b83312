import type { ModelSignature } from './model.js';
import type { Label } from './telemetry-types.js';

/**
 * Why a ground-truth label cannot be scored against this model's predictions, or null. A label
 * outside the model's classes would count as a wrong answer, so a client bug (or a hostile one)
 * could get a healthy canary rolled back; it is refused instead.
 */
export function labelProblem(label: Label, signature: Pick<ModelSignature, 'task' | 'classLabels' | 'classCount'>): string | null {
  if (signature.task === 'regressor') {
    return typeof label === 'number' && Number.isFinite(label) ? null : `must be a finite number for a regressor, got ${JSON.stringify(label)}`;
  }
  const classes = signature.classLabels ?? (signature.classCount !== null ? Array.from({ length: signature.classCount }, (_, i) => i) : null);
  if (classes === null || classes.some((c) => String(c) === String(label))) return null;
  const shown = classes.length > 20 ? `${classes.slice(0, 20).join(', ')}, …` : classes.join(', ');
  return `${JSON.stringify(label)} is not one of the model's classes (${shown})`;
}
