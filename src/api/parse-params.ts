import { appError } from '../domain/index.js';

/** Accepts 3, "3", "v3", "churn@3" and "models:/churn/3" (the take-home's MLflow-style reference). */
export function parseVersion(raw: string | number, model?: string): number {
  const text = String(raw).trim();
  const match = /^(?:models:\/([^/]+)\/|([^@]+)@|v)?([0-9]{1,9})$/i.exec(text);
  const named = match?.[1] ?? match?.[2];
  if (!match || (named !== undefined && model !== undefined && named !== model)) {
    throw appError('invalid_request', `"${text}" is not a version of ${model ? `"${model}"` : 'this model'}: use a number like 2 (or v2, ${model ?? 'model'}@2)`);
  }
  const version = Number(match[3]);
  if (version < 1) throw appError('invalid_request', 'versions are numbered from 1');
  return version;
}

/** `accuracy=0.91,auc=0.95` → `{ accuracy: 0.91, auc: 0.95 }`. */
export function parseMetrics(raw: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (raw === undefined || raw.trim() === '') return out;
  for (const pair of raw.split(',')) {
    const [name, value, ...rest] = pair.split('=');
    const key = name?.trim() ?? '';
    const num = Number(value);
    if (rest.length > 0 || !/^[a-z][a-z0-9_.-]{0,63}$/i.test(key) || value === undefined || value.trim() === '' || !Number.isFinite(num)) {
      throw appError('invalid_request', `metrics "${pair}" must look like name=number, e.g. accuracy=0.91,auc=0.95`);
    }
    out[key] = num;
  }
  return out;
}
