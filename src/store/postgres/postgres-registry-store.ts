import { appError, type Model, type Routing, type RoutingEvent } from '../../domain/index.js';
import { toRouting, toVersion, type EventRow, type ModelRow, type VersionRow } from '../registry-rows.js';
import { CHANGE_CHANNEL, type StoreChange } from '../change-stream.js';
import type { NewVersion, RegistryStore, RoutingChange, RoutingEventInput } from '../registry-store.js';
import { revisionConflict } from '../revision-conflict.js';
import type { Sql, Tx } from './postgres-database.js';

/** Tells the other replicas, inside the writing transaction: delivered on commit, never for a rollback. */
export async function announce(tx: Tx, change: StoreChange): Promise<void> {
  await tx`SELECT pg_notify(${CHANGE_CHANNEL}, ${JSON.stringify(change)})`;
}

/** RegistryStore on PostgreSQL: the same transactions as SQLite's, with row locks where replicas race. */
export class PostgresRegistryStore implements RegistryStore {
  constructor(private readonly sql: Sql) {}

  private async read(tx: Tx, name: string): Promise<Model | undefined> {
    const [row] = await tx<ModelRow[]>`SELECT * FROM models WHERE name = ${name}`;
    if (!row) return undefined;
    const versions = await tx<VersionRow[]>`SELECT * FROM versions WHERE model = ${name} ORDER BY version`;
    return { name: row.name, createdAt: row.created_at, versions: versions.map(toVersion), routing: toRouting(row) };
  }

  async listModels(): Promise<Model[]> {
    const [models, versions] = await Promise.all([this.sql<ModelRow[]>`SELECT * FROM models ORDER BY name`, this.sql<VersionRow[]>`SELECT * FROM versions ORDER BY model, version`]);
    return models.map((row) => ({ name: row.name, createdAt: row.created_at, versions: versions.filter((v) => v.model === row.name).map(toVersion), routing: toRouting(row) }));
  }

  getModel(name: string): Promise<Model | undefined> {
    return this.read(this.sql, name);
  }

  async addVersion(input: NewVersion): Promise<Model> {
    return this.sql.begin(async (tx) => {
      const created = await tx`
        INSERT INTO models (name, created_at, stable_version, canary_version, canary_weight_bp, revision, updated_at)
        VALUES (${input.model}, ${input.createdAt}, 1, NULL, 0, 1, ${input.createdAt})
        ON CONFLICT (name) DO NOTHING RETURNING name`;
      // The model's row lock serializes replicas adding versions of one model: each gets its own number.
      await tx`SELECT name FROM models WHERE name = ${input.model} FOR UPDATE`;
      const [max] = await tx<{ v: number | null }[]>`SELECT MAX(version) AS v FROM versions WHERE model = ${input.model}`;
      const version = (max?.v ?? 0) + 1;
      const src = input.source;
      await tx`
        INSERT INTO versions (model, version, created_at, source, description, signature_json, metrics_json, artifact, sha256, size_bytes, upstream_json, endpoint)
        VALUES (${input.model}, ${version}, ${input.createdAt}, ${input.origin}, ${input.description}, ${JSON.stringify(input.signature)}, ${JSON.stringify(input.metrics)},
                ${src.kind === 'onnx' ? src.artifact : ''}, ${src.kind === 'onnx' ? src.sha256 : ''}, ${src.kind === 'onnx' ? src.sizeBytes : 0}, ${src.kind === 'onnx' ? null : JSON.stringify(src)}, ${input.endpoint ?? null})`;
      const model = (await this.read(tx, input.model))!;
      if (created.length === 1) {
        await tx`INSERT INTO routing_events (model, at, action, routing_json, reason) VALUES (${input.model}, ${input.createdAt}, 'register', ${JSON.stringify(model.routing)}, 'first version becomes stable')`;
        await announce(tx, { kind: 'routing', model: input.model, revision: model.routing.revision });
      } else {
        await announce(tx, { kind: 'version', model: input.model, version });
      }
      return model;
    });
  }

  async saveRouting(name: string, change: RoutingChange, expectedRevision: number, event: RoutingEventInput): Promise<Routing> {
    return this.sql.begin(async (tx) => {
      const [row] = await tx<ModelRow[]>`
        UPDATE models SET stable_version = ${change.stableVersion}, canary_version = ${change.canaryVersion}, canary_weight_bp = ${change.canaryWeightBp},
          previous_stable_version = ${change.previousStableVersion}, last_canary_version = ${change.lastCanaryVersion},
          shadow_json = ${change.shadow ? JSON.stringify(change.shadow) : null},
          revision = revision + 1, updated_at = ${event.at}
        WHERE name = ${name} AND revision = ${expectedRevision}
        RETURNING *`;
      if (!row) {
        const [current] = await tx<{ revision: number }[]>`SELECT revision FROM models WHERE name = ${name}`;
        if (!current) throw appError('model_not_found', `model ${name} not found`);
        throw revisionConflict(name, expectedRevision, current.revision);
      }
      const routing = toRouting(row);
      await tx`INSERT INTO routing_events (model, at, action, routing_json, reason) VALUES (${name}, ${event.at}, ${event.action}, ${JSON.stringify(routing)}, ${event.reason})`;
      await announce(tx, { kind: 'routing', model: name, revision: routing.revision });
      return routing;
    });
  }

  async events(name: string, limit: number): Promise<RoutingEvent[]> {
    const rows = await this.sql<EventRow[]>`
      SELECT model, at, action, routing_json, reason FROM routing_events WHERE model = ${name} ORDER BY id DESC LIMIT ${limit}`;
    return rows.map((row) => ({ model: row.model, at: row.at, action: row.action, routing: JSON.parse(row.routing_json) as Routing, reason: row.reason }));
  }
}
