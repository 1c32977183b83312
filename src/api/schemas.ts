import { Type, type Static } from 'typebox';

export const ErrorSchema = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String() }),
});

export const ModelParams = Type.Object({ name: Type.String({ maxLength: 200 }) });
export const VersionParams = Type.Object({ name: Type.String({ maxLength: 200 }), version: Type.String({ maxLength: 20 }) });

const Key = Type.Union([Type.String({ maxLength: 512 }), Type.Number()]);
const Label = Type.Union([Type.Number(), Type.String({ maxLength: 512 }), Type.Boolean(), Type.Null()]);

/**
 * Features are checked by hand (api/routes/predict-routes.ts for the shape, serving/validate-rows.ts
 * for the values) rather than by a union schema, whose errors ("must match a schema in anyOf")
 * would not tell the user what to fix: a row array, an object keyed by input name, or a batch of either.
 */
export const PredictBody = Type.Object(
  {
    features: Type.Unknown(),
    key: Type.Optional(Key),
    user_id: Type.Optional(Key),
    label: Type.Optional(Type.Union([Label, Type.Array(Label)])),
  },
  // An unknown field is a 400: a typo such as "lable" would otherwise drop the label silently, and
  // "model" on /predict would be answered by the default model.
  { additionalProperties: false },
);
export type PredictBody = Static<typeof PredictBody>;

const PredictionItem = Type.Object({
  prediction: Type.Union([Type.Number(), Type.String()]),
  probability: Type.Optional(Type.Number()),
  probabilities: Type.Optional(Type.Array(Type.Number())),
});

export const PredictReply = Type.Object({
  request_id: Type.String(),
  model: Type.String(),
  version: Type.Integer(),
  variant: Type.String(),
  forced: Type.Optional(Type.Boolean()),
  fallback: Type.Optional(Type.Boolean()),
  prediction: Type.Optional(Type.Union([Type.Number(), Type.String()])),
  probability: Type.Optional(Type.Number()),
  probabilities: Type.Optional(Type.Array(Type.Number())),
  predictions: Type.Optional(Type.Array(PredictionItem)),
  latency_ms: Type.Number(),
  churn_probability: Type.Optional(Type.Number()),
  model_used: Type.Optional(Type.String()),
});

export const TrafficBody = Type.Object(
  {
    canary_weight: Type.Optional(Type.Number()),
    weights: Type.Optional(Type.Record(Type.String(), Type.Number())),
  },
  { additionalProperties: false },
);
export type TrafficBody = Static<typeof TrafficBody>;

export const DeployBody = Type.Object(
  {
    version: Type.Union([Type.Integer({ minimum: 1 }), Type.String({ maxLength: 40 })]),
    weight: Type.Optional(Type.Number()),
  },
  { additionalProperties: false },
);
export type DeployBody = Static<typeof DeployBody>;

export const RollbackBody = Type.Union([
  Type.Object({ reason: Type.Optional(Type.String({ maxLength: 1000 })) }, { additionalProperties: false }),
  Type.Null(),
]);

export const RegisterQuery = Type.Object(
  {
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    source: Type.Optional(Type.String({ maxLength: 2000 })),
    metrics: Type.Optional(Type.String({ maxLength: 2000 })),
    endpoint: Type.Optional(Type.String({ maxLength: 300 })),
  },
  { additionalProperties: false },
);
export type RegisterQuery = Static<typeof RegisterQuery>;

export const EventsQuery = Type.Object({ limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })) }, { additionalProperties: false });
