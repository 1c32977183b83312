import { buildChurnExamples } from '../examples/index.js';
import type { Model } from '../domain/index.js';
import type { ModelRegistry } from '../registry/index.js';

export interface ExampleResult {
  readonly created: boolean;
  readonly model: Model;
}

/**
 * Registers the example model `churn` (v1 stable, v2 as a canary at `canaryWeightBp`) unless a
 * model of that name exists already; `npm start` calls it on every start, so it must be idempotent.
 */
export async function ensureExampleModels(registry: ModelRegistry, canaryWeightBp: number): Promise<ExampleResult> {
  const existing = (await registry.list()).find((m) => m.name === 'churn');
  if (existing) return { created: false, model: existing };
  for (const example of buildChurnExamples()) {
    await registry.register('churn', example.bytes, {
      description: example.description,
      source: 'coalmine models example (synthetic churn data, trained in TypeScript)',
      metrics: example.metrics,
    });
  }
  return { created: true, model: await registry.deploy('churn', 2, canaryWeightBp) };
}
