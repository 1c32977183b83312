import { upgradeSignature, type ModelVersion, type Routing, type RoutingEvent, type ShadowRouting, type UpstreamSource } from '../domain/index.js';

/* The registry's rows as both SQL stores keep them (the same columns on SQLite and PostgreSQL), and their mapping to the domain. */

export interface ModelRow {
  name: string;
  created_at: string;
  stable_version: number;
  canary_version: number | null;
  canary_weight_bp: number;
  previous_stable_version: number | null;
  last_canary_version: number | null;
  /** ShadowRouting as JSON; NULL when no shadow runs. */
  shadow_json: string | null;
  revision: number;
  updated_at: string;
}

export interface VersionRow {
  model: string;
  version: number;
  created_at: string;
  source: string;
  description: string;
  signature_json: string;
  metrics_json: string;
  artifact: string;
  sha256: string;
  size_bytes: number;
  upstream_json: string | null;
  endpoint: string | null;
}

export interface EventRow {
  model: string;
  at: string;
  action: RoutingEvent['action'];
  routing_json: string;
  reason: string;
}

export function toRouting(row: ModelRow): Routing {
  return {
    stableVersion: row.stable_version,
    canaryVersion: row.canary_version,
    canaryWeightBp: row.canary_weight_bp,
    previousStableVersion: row.previous_stable_version,
    lastCanaryVersion: row.last_canary_version,
    shadow: row.shadow_json ? (JSON.parse(row.shadow_json) as ShadowRouting) : null,
    revision: row.revision,
    updatedAt: row.updated_at,
  };
}

export function toVersion(row: VersionRow): ModelVersion {
  return {
    model: row.model,
    version: row.version,
    createdAt: row.created_at,
    origin: row.source,
    description: row.description,
    signature: upgradeSignature(JSON.parse(row.signature_json) as Parameters<typeof upgradeSignature>[0]),
    metrics: JSON.parse(row.metrics_json) as Record<string, number>,
    source: row.upstream_json !== null ? (JSON.parse(row.upstream_json) as UpstreamSource) : { kind: 'onnx', artifact: row.artifact, sha256: row.sha256, sizeBytes: row.size_bytes },
    ...(row.endpoint ? { endpoint: row.endpoint } : {}),
  };
}
