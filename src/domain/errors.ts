/**
 * The one error type that crosses module boundaries. `code` is stable (documented in
 * docs/errors.md), `status` is the HTTP status the API answers with, and `message` tells the
 * user what to change.
 */
export type ErrorCode =
  | 'invalid_request'
  | 'malformed_json'
  | 'body_too_large'
  | 'unsupported_media_type'
  | 'invalid_features'
  | 'invalid_weight'
  | 'invalid_model'
  | 'invalid_name'
  | 'model_not_found'
  | 'version_not_found'
  | 'route_not_found'
  | 'method_not_allowed'
  | 'no_canary'
  | 'conflict'
  | 'prediction_not_found'
  | 'prediction_expired'
  | 'duplicate_label'
  | 'file_not_found'
  | 'invalid_path'
  | 'rollout_not_found'
  | 'model_unavailable'
  | 'model_error'
  | 'too_many_streams'
  | 'unauthorized'
  | 'rate_limited'
  | 'internal';

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, status: number, message: string) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.status = status;
  }
}

export const badRequest = (code: ErrorCode, message: string): AppError => new AppError(code, 400, message);
export const notFound = (code: ErrorCode, message: string): AppError => new AppError(code, 404, message);
export const conflict = (code: ErrorCode, message: string): AppError => new AppError(code, 409, message);

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}
