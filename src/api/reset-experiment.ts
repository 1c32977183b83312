import type { Model } from '../domain/index.js';
import type { ApiServices } from './services.js';

/**
 * Starts an experiment over: faults clear first, so the restored canary starts clean; routing is
 * reset (the canary back at the default weight); metrics restart exactly at the routing revision
 * the reset created. Shared by the native and the lab's reset.
 */
export async function resetExperiment(s: ApiServices, name: string): Promise<Model> {
  await s.registry.get(name);
  // Refused during a rollout before anything changes: faults stay as they are too.
  await s.manual.refuseReset(name);
  await s.settings.clearFaults(name);
  const model = await s.manual.reset(name);
  await s.settings.markReset(name, model.routing.revision);
  return model;
}
