import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { ERROR_STATUS, isAppError, type ErrorCode } from '../domain/index.js';

export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

export function errorBody(code: ErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}

/** The Open Inference Protocol's error shape, for every reply under /v2/. */
export const isOpenInferencePath = (url: string): boolean => url === '/v2' || url.startsWith('/v2/') || url.startsWith('/v2?');

/** An error reply in the shape the path's protocol uses: coalmine's `{error: {code, message}}`, or OIP's `{error: message}` under /v2. */
export function errorPayload(url: string, code: ErrorCode, message: string): ErrorBody | { error: string } {
  return isOpenInferencePath(url) ? { error: message } : errorBody(code, message);
}

export interface Limits {
  readonly bodyLimitBytes: number;
  readonly uploadLimitBytes: number;
  readonly requestTimeoutMs: number;
}

/** Fastify's own errors that a client caused. Anything else it raises is a fault of ours (a 500). */
function fromFastify(err: FastifyError, req: FastifyRequest, limits: Limits): [ErrorCode, string] | undefined {
  if (err.validation) {
    const first = err.validation[0];
    const where = `${err.validationContext ?? 'body'}${first?.instancePath ?? ''}`.replace(/\//g, '.');
    if (first?.params && 'additionalProperty' in first.params) {
      const field = String(first.params.additionalProperty);
      const hint = field === 'model' ? '; to predict with another model, POST /v1/models/{name}/predict' : '';
      return ['invalid_request', `${where} has an unknown field "${field}"; check its spelling against docs/api.md${hint}`];
    }
    return ['invalid_request', `${where} ${first?.message ?? 'is invalid'}`];
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': {
      const upload = /octet-stream|onnx/.test(req.headers['content-type'] ?? '');
      const limit = upload ? `the upload limit of ${limits.uploadLimitBytes} bytes (COALMINE_UPLOAD_LIMIT)` : `the limit of ${limits.bodyLimitBytes} bytes (COALMINE_BODY_LIMIT)`;
      return ['body_too_large', `the request body is larger than ${limit}`];
    }
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return ['unsupported_media_type', `${err.message}; send JSON with Content-Type: application/json (text and form bodies are not read)`];
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return ['malformed_json', 'the request body is empty but Content-Type is application/json; send a JSON object'];
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return ['malformed_json', 'the request body is not valid JSON (or it sets __proto__ or constructor); send a JSON object'];
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return ['invalid_request', 'Content-Length does not match the body sent'];
    case 'FST_ERR_CTP_EMPTY_TYPE':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return ['unsupported_media_type', 'the Content-Type header is empty or not valid; send Content-Type: application/json'];
  }
  // A request stream that broke or timed out while its body was read.
  if (err.code === 'ECONNRESET' || err.code === 'ERR_STREAM_PREMATURE_CLOSE') return ['invalid_request', 'the request body ended before it was complete'];
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return ['request_timeout', `the request was not received within ${limits.requestTimeoutMs / 1000} s (COALMINE_REQUEST_TIMEOUT_MS)`];
  // PostgreSQL out of reach (postgres.js's and the socket's codes, or the server shutting down).
  if (STORE_DOWN.has(String(err.code))) return ['store_unavailable', `the shared database cannot be reached (${err.code}), so the change was not saved; retry once it is back`];
  // SQLite (and the file system) on a full disk: nothing was written, and the operator can act.
  if (err.code === 'SQLITE_FULL' || err.code === 'ENOSPC') return ['storage_full', "the data directory's disk is full, so the change could not be saved; free some space and try again (nothing was changed)"];
  return undefined;
}

const STORE_DOWN = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', '57P01', '57P02', '57P03']);

/** The code and message a failure is answered with, logging what is ours to fix. */
function resolveError(err: FastifyError, req: FastifyRequest, limits: Limits): [ErrorCode, string] {
  if (isAppError(err)) {
    if (err.status >= 500) req.log.error({ code: err.code, err: err.message }, 'request failed');
    return [err.code, err.message];
  }
  const mapped = fromFastify(err, req, limits);
  if (mapped) {
    if (mapped[0] === 'storage_full') req.log.warn({ err: err.message }, 'a change was refused: the disk is full');
    if (mapped[0] === 'store_unavailable') req.log.warn({ err: err.message }, 'a request failed: the shared database cannot be reached');
    return mapped;
  }
  req.log.error({ err }, 'unexpected error');
  return ['internal', 'internal error; the server log has the details'];
}

/** One place that turns every failure into `{ "error": { "code", "message" } }`. */
export function installErrorHandling(app: FastifyInstance, limits: Limits): void {
  app.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    const [code, message] = resolveError(err, req, limits);
    return reply.status(ERROR_STATUS[code]).send(errorPayload(req.url, code, message));
  });

  app.setNotFoundHandler((req: FastifyRequest, reply: FastifyReply) => {
    return reply.status(404).send(errorPayload(req.url, 'route_not_found', `no route ${req.method} ${req.url.split('?')[0]}; see docs/api.md for the endpoints`));
  });
}

/** What Node's HTTP parser refuses before Fastify sees a request: answered in the same error shape. */
function clientErrorOf(err: NodeJS.ErrnoException, limits: Limits): [ErrorCode, string] {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return ['request_timeout', `the request was not received within ${limits.requestTimeoutMs / 1000} s (COALMINE_REQUEST_TIMEOUT_MS); send the whole body promptly`];
    case 'HPE_HEADER_OVERFLOW':
      return ['header_too_large', 'the request headers are larger than 16 KiB; send fewer or shorter headers'];
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return ['invalid_request', 'the request has both Content-Length and Transfer-Encoding; send one of them'];
    case 'HPE_INVALID_CHUNK_SIZE':
      return ['invalid_request', 'the chunked body is not valid; check the chunk sizes'];
    default:
      return ['invalid_request', `the HTTP request could not be parsed (${err.code ?? 'bad request'}): check the request line, headers and body framing`];
  }
}

/** Replaces Fastify's default client-error reply (`{"error": "Bad Request", …}`) with the documented shape. */
export function clientErrorHandler(limits: Limits): (err: NodeJS.ErrnoException, socket: Socket) => void {
  return (err, socket) => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const [code, message] = clientErrorOf(err, limits);
    const status = ERROR_STATUS[code];
    const body = JSON.stringify(errorBody(code, message));
    if (socket.writable) {
      socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    }
    socket.destroy();
  };
}
