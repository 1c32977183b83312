import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import type { ModelVersion } from '../domain/index.js';
import { buildServer, ManualRouting } from '../api/index.js';
import { CanaryChecks } from '../checks/index.js';
import { loadConfig, type Config, type ConfigOverrides } from '../config/index.js';
import { MetricsReader } from '../metrics/index.js';
import { ModelRegistry, ModelSettingsService } from '../registry/index.js';
import { RolloutController, WebhookSender } from '../rollout/index.js';
import { PredictionService, ShadowRunner, type RuntimePool } from '../serving/index.js';
import { ShadowService } from '../shadow/index.js';
import { runtimeSources } from './runtime-sources.js';
import { accessModeText, adminTokenPath, resolveAdminToken } from './admin-token.js';
import { ChangeFeed } from './change-feed.js';
import { BackgroundJobs } from './background-jobs.js';
import { RegistryTrafficRouter } from './registry-traffic-router.js';
import { externalRouters } from './weight-routers.js';
import { openStores } from './stores.js';
import { followReplicas } from './replica-sync.js';
import { ControllerLease } from './controller-lease.js';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { watchRouting } from './routing-views.js';
import { FeedbackService, PredictionLog, PrometheusMetrics, ShadowRecorder, Telemetry } from '../telemetry/index.js';

export interface App {
  readonly config: Config;
  readonly log: Logger;
  readonly registry: ModelRegistry;
  readonly settings: ModelSettingsService;
  readonly predictions: PredictionService;
  readonly pool: RuntimePool;
  readonly telemetry: Telemetry;
  readonly predictionLog: PredictionLog;
  readonly metrics: MetricsReader;
  readonly checks: CanaryChecks;
  readonly feedback: FeedbackService;
  readonly prometheus: PrometheusMetrics;
  readonly rollouts: RolloutController;
  readonly shadows: ShadowService;
  /** Manual routing changes, checked against an active rollout (the API's and CLI's path). */
  readonly manual: ManualRouting;
  readonly http: FastifyInstance;
  /** The token admin operations need (null: none, on loopback). */
  readonly adminToken: string | null;
  /** Writes telemetry and the prediction log now (also done every flush interval and on close). */
  flush(): Promise<void>;
  /** Loads models and listens; resolves to the base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export interface AppOptions {
  readonly logger?: Logger;
  readonly now?: () => Date;
  readonly random?: () => number;
  /** Run the rollout scheduler (default true; tests drive reconcile themselves). */
  readonly scheduler?: boolean;
  /** Write a new admin token file when no token is configured (`serve --generate-token`). */
  readonly generateAdminToken?: boolean;
  /** This process is a `serve --workers` worker of that primary, which holds the data directory. */
  readonly workerOf?: number;
}

const PURGE_EVERY_MS = 10 * 60 * 1000;
const SHUTDOWN_GRACE_MS = 10_000;

/** The only place that picks implementations for the ports. */
export async function createApp(overrides: ConfigOverrides = {}, options: AppOptions = {}): Promise<App> {
  const config = loadConfig(overrides);
  const log = options.logger ?? pino({ level: config.logLevel, base: undefined });
  const admin = resolveAdminToken(config, options.generateAdminToken === true);
  if (admin.source === 'generated') log.info({ file: adminTokenPath(config.dataDir) }, 'generated an admin token; the CLI reads it from this file');
  log.info({ access: admin.source === 'none' ? 'open' : 'token', tokenFrom: admin.source }, accessModeText(admin.source, config));
  const now = options.now ?? (() => new Date());
  // Read on every prediction (telemetry buckets): without an injected clock, no Date per call.
  const nowMs = options.now ? () => now().getTime() : Date.now;
  const stores = await openStores(config, log, options.workerOf !== undefined ? { workerOf: options.workerOf } : {});
  const files = stores.files;
  const blobs = stores.blobs;
  const prometheus = new PrometheusMetrics();
  prometheus.watchStore(() => stores.changes.link());
  const { pool, upstreamHttp } = runtimeSources((artifact) => files.path(artifact), log, {
    microBatchRows: config.microBatchRows,
    onBatch: (model, version, _rows, requests) => prometheus.onBatch(model, version, requests),
    upstreamTimeoutMs: config.predictTimeoutMs,
    // A replica that has not seen a file yet copies it from the shared database, by its sha256.
    ...(blobs
      ? {
          fetchArtifact: async (version: ModelVersion) => {
            if (version.source.kind !== 'onnx') return false;
            const bytes = await blobs.get(version.source.sha256);
            if (bytes === undefined) return false;
            const written = await files.write(version.model, bytes);
            log.info({ model: version.model, version: version.version, sha256: written.sha256 }, 'copied a model file from the shared database into the data directory');
            return written.artifact === version.source.artifact;
          },
        }
      : {}),
  });
  const registry = new ModelRegistry({ store: stores.registry, files, blobs, loader: pool, now, resetCanaryWeightBp: config.resetCanaryWeightBp });
  const settings = new ModelSettingsService(stores.settings, now);
  const telemetry = new Telemetry({ store: stores.telemetry, now: nowMs, retentionMs: config.telemetryRetentionMs, prometheus, ...(options.random ? { random: options.random } : {}) });
  let droppedSinceWarning = 0;
  let lastDropWarning = 0;
  const predictionLog = new PredictionLog({
    store: stores.predictionLog,
    now: nowMs,
    retentionMs: config.predictionRetentionMs,
    maxRows: config.predictionLogMaxRows,
    onDrop: () => {
      prometheus.onLogDrop();
      droppedSinceWarning++;
      const t = Date.now();
      if (t - lastDropWarning >= 10_000) {
        log.warn({ dropped: droppedSinceWarning }, 'prediction log writer is behind; rows are dropped (labels for them cannot be joined), see coalmine_prediction_log_dropped_total');
        lastDropWarning = t;
        droppedSinceWarning = 0;
      }
    },
  });
  const shadowRecorder = new ShadowRecorder({
    store: stores.shadows,
    now: nowMs,
    retentionMs: config.predictionRetentionMs,
    maxRows: config.predictionLogMaxRows,
    prometheus,
  });
  const shadowRunner = new ShadowRunner({ pool, recorder: shadowRecorder, maxInFlight: config.shadowMaxInFlight, timeoutMs: config.shadowTimeoutMs, maxBatchRows: config.maxBatchRows, busyShare: config.shadowBusyShare, batchWindowMs: config.shadowBatchMs, faults: (model) => settings.get(model).faults.shadow, ...(options.random ? { random: options.random } : {}) });
  const predictions = new PredictionService({
    shadows: shadowRunner,
    registry,
    settings,
    pool,
    telemetry,
    predictionLog,
    maxBatchRows: config.maxBatchRows,
    timeoutMs: config.predictTimeoutMs,
    fallback: config.fallback,
    log,
    ...(options.random ? { random: options.random } : {}),
  });
  const metrics = new MetricsReader(telemetry);
  const checks = new CanaryChecks({ registry, settings, metrics, thresholds: { accuracyPct: config.accuracyThresholdPct, latencyMs: config.latencyThresholdMs }, now: nowMs });
  const feedback = new FeedbackService({
    log: predictionLog,
    shadows: shadowRecorder,
    telemetry,
    now: nowMs,
    signatureOf: async (model, version) => (await registry.version(model, version).catch(() => undefined))?.signature,
  });
  const changes = new ChangeFeed();
  settings.onChange((model) => changes.emit({ kind: 'settings', model }));
  const rolloutStore = stores.rollouts;
  const webhooks = new WebhookSender(rolloutStore, log, nowMs);
  const routerFor = externalRouters(registry, config.proxies);
  const rollouts = new RolloutController({
    store: rolloutStore,
    router: new RegistryTrafficRouter(registry),
    routerFor,
    externalOf: (model) => settings.get(model).external,
    health: (model, version) => pool.unready(model, version),
    metrics,
    thresholds: { accuracyPct: config.accuracyThresholdPct, latencyMs: config.latencyThresholdMs },
    webhooks,
    now: nowMs,
    log,
    onPhase: (model, phase) => prometheus.setPhase(model, phase),
    onChange: (r) => changes.emit({ kind: 'rollout', model: r.model }),
  });
  const shadows = new ShadowService({
    registry,
    recorder: shadowRecorder,
    store: stores.shadows,
    rollouts,
    routedElsewhere: (model) => Boolean(settings.get(model).external),
    inFlight: () => shadowRunner.inFlight,
    notify: () => void webhooks.deliver().catch(() => undefined),
    now: nowMs,
    log,
  });
  const routingViews = watchRouting({ registry, settings, prometheus, changes, log });
  await predictions.start();
  const models = await registry.list();
  for (const m of models) {
    registry.seed(m);
    routingViews.seed(m);
    const r = await rolloutStore.get(m.name);
    if (r) prometheus.setPhase(m.name, r.phase);
  }

  const lease = new ControllerLease({ store: stores.leases, holder: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`, ttlMs: config.leaseTtlMs, log });
  const flush = async () => {
    await telemetry.flush();
    await predictionLog.flush();
    await shadowRecorder.flush();
  };
  const jobs = new BackgroundJobs({
    drives: () => lease.holds(),
    log,
    rollouts,
    webhooks,
    flush,
    purge: () => Promise.all([telemetry.purge(), predictionLog.purge(), shadowRecorder.purge()]),
    watchShadows: () => shadows.watch(),
    flushIntervalMs: config.flushIntervalMs,
    purgeIntervalMs: PURGE_EVERY_MS,
    checkUpstreams: () => pool.checkReadiness(),
    upstreamIntervalMs: config.upstreamReadinessIntervalMs,
    scheduler: options.scheduler !== false,
  });

  const manual = new ManualRouting(registry, rollouts, settings, routerFor);
  const http = buildServer(
    {
      config,
      registry,
      files,
      settings,
      predictions,
      telemetry,
      metrics,
      checks,
      feedback,
      prometheus,
      rollouts,
      shadows,
      manual,
      versions: { loadError: (m, v) => pool.loadFailure(m, v), notReady: (m, v) => pool.unready(m, v), servingRevision: (m) => predictions.servingRevision(m) },
      changes,
      adminToken: admin.token,
      state: () => ({ store: stores.kind, ...stores.changes.link() }),
      drivesRollouts: () => lease.holds(),
    },
    log,
  );
  let closed = false;
  return {
    config,
    log,
    registry,
    settings,
    predictions,
    pool,
    telemetry,
    predictionLog,
    metrics,
    checks,
    feedback,
    prometheus,
    rollouts,
    shadows,
    manual,
    http,
    adminToken: admin.token,
    flush,
    async listen() {
      await followReplicas({ stream: stores.changes, registry, settings, changes, log, catchUp: stores.shared });
      await lease.start();
      await jobs.start(models.map((m) => m.name));
      const address = await http.listen({ host: config.host, port: config.port });
      log.info({ url: address, dataDir: config.dataDir }, 'coalmine listening');
      return address.replace('[::1]', '127.0.0.1');
    },
    async close() {
      if (closed) return;
      closed = true;
      jobs.stop();
      await lease.stop();
      // Requests in flight get a few seconds to finish; a client that never finishes its request
      // must not keep the process (and its final telemetry flush) from shutting down.
      const deadline = setTimeout(() => {
        log.warn({ afterMs: SHUTDOWN_GRACE_MS }, 'closing the connections still open at shutdown');
        http.server.closeAllConnections();
      }, SHUTDOWN_GRACE_MS);
      await http.close();
      clearTimeout(deadline);
      await webhooks.stop();
      await flush().catch((err: unknown) => log.error({ err }, 'final telemetry flush failed'));
      await pool.closeAll();
      await upstreamHttp.close();
      await stores.close();
    },
  };
}
