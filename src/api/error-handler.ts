import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isAppError, type ErrorCode } from '../domain/index.js';

export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

function body(code: ErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}

/** Maps Fastify's own errors (parsing, validation, limits) to the documented codes. */
function fromFastify(err: FastifyError, limitBytes: number): [number, ErrorBody] | undefined {
  if (err.validation) {
    const first = err.validation[0];
    const where = `${err.validationContext ?? 'body'}${first?.instancePath ?? ''}`.replace(/\//g, '.');
    const extra = first?.params && 'additionalProperty' in first.params ? ` ("${String(first.params.additionalProperty)}")` : '';
    return [400, body('invalid_request', `${where} ${first?.message ?? 'is invalid'}${extra}`)];
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return [413, body('body_too_large', `the request body is larger than the limit of ${limitBytes} bytes`)];
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return [415, body('unsupported_media_type', `${err.message}; send JSON with Content-Type: application/json`)];
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return [400, body('malformed_json', 'the request body is empty but Content-Type is application/json; send a JSON object')];
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return [400, body('malformed_json', `the request body is not valid JSON: ${err.message}`)];
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return [400, body('invalid_request', 'Content-Length does not match the body sent')];
  }
  if (err instanceof SyntaxError || err.statusCode === 400) {
    return [400, body('malformed_json', `the request body is not valid JSON: ${err.message}`)];
  }
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return [err.statusCode, body('invalid_request', err.message)];
  }
  return undefined;
}

/** One place that turns every failure into `{ "error": { "code", "message" } }`. */
export function installErrorHandling(app: FastifyInstance, limitBytes: number): void {
  app.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    if (isAppError(err)) {
      if (err.status >= 500) req.log.error({ code: err.code, err: err.message }, 'request failed');
      return reply.status(err.status).send(body(err.code, err.message));
    }
    const mapped = fromFastify(err, limitBytes);
    if (mapped) return reply.status(mapped[0]).send(mapped[1]);
    req.log.error({ err }, 'unexpected error');
    return reply.status(500).send(body('internal', 'internal error; the server log has the details'));
  });

  app.setNotFoundHandler((req: FastifyRequest, reply: FastifyReply) => {
    return reply
      .status(404)
      .send(body('route_not_found', `no route ${req.method} ${req.url.split('?')[0]}; see docs/api.md for the endpoints`));
  });
}
