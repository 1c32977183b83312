import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type Static } from 'typebox';
import { appError } from '../../domain/index.js';
import { LabelRateLimiter } from '../label-rate-limit.js';
import { FeedbackReply } from '../reply-schemas.js';
import type { FeedbackItem } from '../../telemetry/index.js';
import type { ApiServices } from '../services.js';

const Item = Type.Object(
  {
    request_id: Type.String({ minLength: 1, maxLength: 64 }),
    row: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
    label: Type.Union([Type.Number(), Type.String({ maxLength: 512 }), Type.Boolean()]),
  },
  { additionalProperties: false },
);
const MAX_ITEMS = 10_000;
const FeedbackBody = Type.Union([Item, Type.Object({ items: Type.Array(Item, { minItems: 1, maxItems: MAX_ITEMS }) }, { additionalProperties: false }), Type.Array(Item, { minItems: 1, maxItems: MAX_ITEMS })]);
type ItemT = Static<typeof Item>;

function toItem(i: ItemT): FeedbackItem {
  if (typeof i.label === 'number' && !Number.isFinite(i.label)) throw appError('invalid_request', 'label must be a finite number or a class name');
  return { requestId: i.request_id, row: i.row ?? 0, label: typeof i.label === 'boolean' ? (i.label ? 1 : 0) : i.label };
}

const STATUS_CODE: Record<string, [number, string]> = {
  unknown: [404, 'prediction_not_found'],
  expired: [410, 'prediction_expired'],
  duplicate: [409, 'duplicate_label'],
  invalid: [400, 'invalid_request'],
};

export function feedbackRoutes(app: FastifyInstance, s: ApiServices, limiter = new LabelRateLimiter(s.config.feedbackRateLimitPerSecond)): void {
  const limited = (reply: FastifyReply, client: string, waitMs: number) => {
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    void reply.header('retry-after', seconds);
    return appError('rate_limited', `more than ${limiter.perSecond} labels per second from ${client}; retry in ${seconds} s, or raise COALMINE_FEEDBACK_RATE_LIMIT`);
  };
  /**
   * Ground truth for earlier predictions. One item answers with its own status (4xx when it was
   * not accepted); a batch always answers 200 with a result per item, in order.
   */
  app.post<{ Body: Static<typeof FeedbackBody> }>('/v1/feedback', {
      schema: { body: FeedbackBody, response: { 200: FeedbackReply } },
      config: { access: 'open' },
      // A client already over its allowance is refused before its body is read: parsing and
      // validating a 10,000-item body costs the event loop more than the refusal saves.
      onRequest: async (req, reply) => {
        const waitMs = limiter.waitFor(req.ip);
        if (waitMs > 0) throw limited(reply.header('connection', 'close'), req.ip, waitMs);
      },
    }, async (req, reply) => {
    const body = req.body;
    const single = !Array.isArray(body) && !('items' in body);
    const items = (Array.isArray(body) ? body : 'items' in body ? body.items : [body]).map(toItem);
    if (items.length > limiter.perSecond && limiter.perSecond > 0) {
      throw appError('rate_limited', `${items.length} labels in one request is more than the ${limiter.perSecond} per second one client may send (COALMINE_FEEDBACK_RATE_LIMIT); split the batch`);
    }
    const waitMs = limiter.take(req.ip, items.length);
    if (waitMs > 0) throw limited(reply, req.ip, waitMs);
    const results = await s.feedback.submit(items);
    const accepted = results.filter((r) => r.status === 'accepted').length;
    if (single) {
      const r = results[0]!;
      const failure = STATUS_CODE[r.status];
      if (failure) return reply.status(failure[0]).send({ error: { code: failure[1], message: r.message }, result: r });
      return r;
    }
    return { accepted, rejected: results.length - accepted, results };
  });
}
