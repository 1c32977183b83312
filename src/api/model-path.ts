import { existsSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { AppError, appError } from '../domain/index.js';

export type ModelReference = { kind: 'registry'; model: string; version: number } | { kind: 'file'; path: string };

const REGISTRY_REF = /^(?:models:\/([a-z0-9][a-z0-9._-]*)\/|([a-z0-9][a-z0-9._-]*)@)([0-9]{1,9})$/i;

/**
 * Reads the take-home's `model_path`: a registry reference (`churn@2`, `models:/churn/2`) or a file
 * inside the models directory. Paths are resolved strictly inside it: no absolute paths, no `..`,
 * and no symlink that leads out.
 */
export function resolveModelReference(raw: string, modelsDir: string): ModelReference {
  const text = raw.trim();
  const ref = REGISTRY_REF.exec(text);
  if (ref) return { kind: 'registry', model: ref[1] ?? ref[2]!, version: Number(ref[3]) };
  if (text === '' || text.includes('\0')) throw appError('invalid_path', 'model_path is empty');
  if (isAbsolute(text) || /^[a-z]:[\\/]/i.test(text)) {
    throw appError('invalid_path', `model_path "${text}" is absolute; give a path inside the models directory, e.g. models/my_model.onnx, or a registry reference like churn@2`);
  }
  const relative = normalize(text.replace(/\\/g, '/')).replace(/^models\//, '');
  if (relative.split('/').includes('..') || relative.startsWith('..')) {
    throw appError('invalid_path', `model_path "${text}" leaves the models directory; only files inside it can be deployed`);
  }
  const root = resolve(modelsDir);
  const full = resolve(join(root, relative));
  if (!full.startsWith(root + sep)) throw appError('invalid_path', `model_path "${text}" leaves the models directory`);
  if (!existsSync(full)) throw new AppError('file_not_found', `no file "${relative}" in the models directory (${root})`);
  const real = realpathSync(full);
  if (!real.startsWith(realpathSync(root) + sep)) throw appError('invalid_path', `model_path "${text}" is a link that leads out of the models directory`);
  if (!statSync(real).isFile()) throw appError('invalid_path', `model_path "${text}" is not a file`);
  return { kind: 'file', path: real };
}
