/**
 * The error catalog: every code coalmine answers with, bound once to its HTTP status. Codes are
 * stable (each is documented in docs/errors.md, which a test checks); the message of each error
 * tells the user what to change.
 */
export const ERROR_STATUS = {
  invalid_request: 400,
  malformed_json: 400,
  invalid_features: 400,
  invalid_weight: 400,
  invalid_model: 400,
  invalid_name: 400,
  invalid_path: 400,
  upstream_rejected: 400,
  unauthorized: 401,
  host_not_allowed: 403,
  cross_origin: 403,
  model_not_found: 404,
  version_not_found: 404,
  route_not_found: 404,
  prediction_not_found: 404,
  file_not_found: 404,
  rollout_not_found: 404,
  request_timeout: 408,
  no_canary: 409,
  no_shadow: 409,
  conflict: 409,
  rollout_active: 409,
  duplicate_label: 409,
  prediction_expired: 410,
  body_too_large: 413,
  path_too_long: 414,
  unsupported_media_type: 415,
  upstream_unavailable: 424,
  router_unavailable: 424,
  rate_limited: 429,
  header_too_large: 431,
  internal: 500,
  model_error: 500,
  model_unavailable: 503,
  store_unavailable: 503,
  too_many_streams: 503,
  too_many_uploads: 503,
  too_many_connections: 503,
  storage_full: 507,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** The one error type that crosses module boundaries; its status comes from the catalog. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_STATUS[code];
  }
}

export const appError = (code: ErrorCode, message: string): AppError => new AppError(code, message);

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}
