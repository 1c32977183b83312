import type Database from 'better-sqlite3';
import { appError, type Model, type Routing, type RoutingEvent } from '../../domain/index.js';
import { toRouting, toVersion, type EventRow, type ModelRow, type VersionRow } from '../registry-rows.js';
import type { NewVersion, RegistryStore, RoutingChange, RoutingEventInput } from '../registry-store.js';
import { revisionConflict } from '../revision-conflict.js';
import { changeRecorder } from './sqlite-change-stream.js';

/** RegistryStore on SQLite (better-sqlite3 is synchronous; the async port keeps room for PostgreSQL). */
export class SqliteRegistryStore implements RegistryStore {
  private readonly stmt;
  private readonly record;

  constructor(private readonly db: Database.Database) {
    this.record = changeRecorder(db);
    this.stmt = {
      models: db.prepare<[], ModelRow>('SELECT * FROM models ORDER BY name'),
      model: db.prepare<[string], ModelRow>('SELECT * FROM models WHERE name = ?'),
      versions: db.prepare<[string], VersionRow>('SELECT * FROM versions WHERE model = ? ORDER BY version'),
      maxVersion: db.prepare<[string], { v: number | null }>('SELECT MAX(version) AS v FROM versions WHERE model = ?'),
      insertModel: db.prepare(
        `INSERT INTO models (name, created_at, stable_version, canary_version, canary_weight_bp, revision, updated_at)
         VALUES (@name, @at, 1, NULL, 0, 1, @at)`,
      ),
      insertVersion: db.prepare(
        `INSERT INTO versions (model, version, created_at, source, description, signature_json, metrics_json, artifact, sha256, size_bytes, upstream_json, endpoint)
         VALUES (@model, @version, @createdAt, @origin, @description, @signature, @metrics, @artifact, @sha256, @sizeBytes, @upstream, @endpoint)`,
      ),
      updateRouting: db.prepare(
        `UPDATE models SET stable_version = @stableVersion, canary_version = @canaryVersion, canary_weight_bp = @canaryWeightBp,
           previous_stable_version = @previousStableVersion, last_canary_version = @lastCanaryVersion, shadow_json = @shadowJson,
           revision = revision + 1, updated_at = @at
         WHERE name = @name AND revision = @expected`,
      ),
      insertEvent: db.prepare('INSERT INTO routing_events (model, at, action, routing_json, reason) VALUES (?, ?, ?, ?, ?)'),
      events: db.prepare<[string, number], EventRow>('SELECT * FROM routing_events WHERE model = ? ORDER BY id DESC LIMIT ?'),
    };
  }

  private read(name: string): Model | undefined {
    const row = this.stmt.model.get(name);
    if (!row) return undefined;
    return { name: row.name, createdAt: row.created_at, versions: this.stmt.versions.all(name).map(toVersion), routing: toRouting(row) };
  }

  async listModels(): Promise<Model[]> {
    return this.stmt.models.all().map((row) => this.read(row.name)!);
  }

  async getModel(name: string): Promise<Model | undefined> {
    return this.read(name);
  }

  async addVersion(input: NewVersion): Promise<Model> {
    // IMMEDIATE: it reads the next version number before it writes (see labelWriter in prediction-log-chunks.ts).
    return this.db.transaction(() => {
      const isNew = this.stmt.model.get(input.model) === undefined;
      if (isNew) {
        this.stmt.insertModel.run({ name: input.model, at: input.createdAt });
      }
      const version = (this.stmt.maxVersion.get(input.model)?.v ?? 0) + 1;
      const src = input.source;
      this.stmt.insertVersion.run({
        model: input.model,
        createdAt: input.createdAt,
        origin: input.origin,
        description: input.description,
        version,
        signature: JSON.stringify(input.signature),
        metrics: JSON.stringify(input.metrics),
        artifact: src.kind === 'onnx' ? src.artifact : '',
        sha256: src.kind === 'onnx' ? src.sha256 : '',
        sizeBytes: src.kind === 'onnx' ? src.sizeBytes : 0,
        upstream: src.kind === 'onnx' ? null : JSON.stringify(src),
        endpoint: input.endpoint ?? null,
      });
      const model = this.read(input.model)!;
      if (isNew) {
        this.stmt.insertEvent.run(input.model, input.createdAt, 'register', JSON.stringify(model.routing), 'first version becomes stable');
        this.record({ kind: 'routing', model: input.model, revision: model.routing.revision });
      } else {
        this.record({ kind: 'version', model: input.model, version });
      }
      return model;
    }).immediate();
  }

  async saveRouting(name: string, change: RoutingChange, expectedRevision: number, event: RoutingEventInput): Promise<Routing> {
    return this.db.transaction(() => {
      const { shadow, ...columns } = change;
      const result = this.stmt.updateRouting.run({ ...columns, shadowJson: shadow ? JSON.stringify(shadow) : null, name, expected: expectedRevision, at: event.at });
      if (result.changes !== 1) {
        const row = this.stmt.model.get(name);
        if (!row) throw appError('model_not_found', `model ${name} not found`);
        throw revisionConflict(name, expectedRevision, row.revision);
      }
      const routing = toRouting(this.stmt.model.get(name)!);
      this.stmt.insertEvent.run(name, event.at, event.action, JSON.stringify(routing), event.reason);
      this.record({ kind: 'routing', model: name, revision: routing.revision });
      return routing;
    })();
  }

  async events(name: string, limit: number): Promise<RoutingEvent[]> {
    return this.stmt.events.all(name, limit).map((row) => ({
      model: row.model,
      at: row.at,
      action: row.action,
      routing: JSON.parse(row.routing_json) as Routing,
      reason: row.reason,
    }));
  }
}
