/** The fixed reply of both ceilings (the constant route and bare Fastify): the shape coalmine's predict route answers. */
export const CONSTANT_REPLY = {
  request_id: '00000000-0000-4000-8000-000000000000',
  model: 'churn',
  version: 1,
  variant: 'stable',
  prediction: 1,
  probability: 0.87,
  latency_ms: 0.01,
} as const;
