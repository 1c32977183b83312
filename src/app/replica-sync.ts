import type { Logger } from 'pino';
import type { ModelRegistry, ModelSettingsService } from '../registry/index.js';
import type { ChangeStream, StoreChange } from '../store/index.js';
import type { ChangeFeed } from './change-feed.js';

export interface ReplicaSyncOptions {
  readonly stream: ChangeStream;
  readonly registry: ModelRegistry;
  readonly settings: ModelSettingsService;
  readonly changes: ChangeFeed;
  readonly log: Logger;
  /** Read everything once the stream listens: changes made between startup's reads and LISTEN were not announced to this replica. */
  readonly catchUp: boolean;
}

/**
 * Applies what other replicas changed: routing and versions (read back from the store, in
 * revision order, serving versions loaded first), settings (faults, resets), and rollouts (for
 * the live stream). After a lost link, everything is read again, since the notifications sent
 * meanwhile are gone.
 */
export async function followReplicas(o: ReplicaSyncOptions): Promise<void> {
  const apply = (change: StoreChange): void => {
    const work =
      change.kind === 'routing' || change.kind === 'version'
        ? o.registry.refresh(change.model)
        : change.kind === 'settings'
          ? o.settings.reload(change.model)
          : Promise.resolve(o.changes.emit({ kind: 'rollout', model: change.model }));
    work.catch((err: unknown) => o.log.warn({ model: change.model, kind: change.kind, err }, 'could not apply a change another replica made; it is read again at the next resync'));
  };
  const readAll = async (): Promise<number> => {
    const models = await o.registry.list();
    for (const m of models) {
      await o.registry.refresh(m.name);
      await o.settings.reload(m.name);
      o.changes.emit({ kind: 'rollout', model: m.name });
    }
    return models.length;
  };
  const resync = (): void => {
    readAll().then(
      (n) => o.log.info({ models: n }, 'read the shared state again after a lost link'),
      (err: unknown) => o.log.warn({ err }, 'could not read the shared state again; retrying at the next reconnect'),
    );
  };
  await o.stream.start(apply, resync);
  if (o.catchUp) await readAll();
}
