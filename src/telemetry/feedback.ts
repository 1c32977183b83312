import { requestIdTime, type Label, type ModelTask } from '../domain/index.js';
import type { PredictionLog } from './prediction-log.js';
import { predictionKey } from './prediction-log.js';
import type { Telemetry } from './telemetry.js';

export interface FeedbackItem {
  readonly requestId: string;
  readonly row: number;
  readonly label: Label;
}

export type FeedbackStatus = 'accepted' | 'unknown' | 'expired' | 'duplicate' | 'invalid';

export interface FeedbackResult {
  readonly request_id: string;
  readonly row: number;
  readonly status: FeedbackStatus;
  readonly message: string;
  readonly variant?: string;
  readonly version?: number;
  readonly correct?: boolean;
}

export interface FeedbackOptions {
  readonly log: PredictionLog;
  readonly telemetry: Telemetry;
  /** The task of a model version, to score the label (undefined if the version is gone). */
  readonly taskOf: (model: string, version: number) => Promise<ModelTask | undefined>;
  readonly now?: () => number;
}

/**
 * Joins ground-truth labels to logged predictions. Each item gets its own answer: accepted (and
 * counted once for the variant and version that served it), unknown, expired, duplicate, or
 * invalid (e.g. a text label for a regressor).
 */
export class FeedbackService {
  constructor(private readonly opts: FeedbackOptions) {}

  async submit(items: readonly FeedbackItem[]): Promise<FeedbackResult[]> {
    const found = await this.opts.log.find(items);
    const now = (this.opts.now ?? Date.now)();
    const seen = new Set<string>();
    const toLabel: (FeedbackItem & { index: number })[] = [];
    const results: (FeedbackResult | undefined)[] = items.map((item, index) => {
      const key = predictionKey(item);
      const base = { request_id: item.requestId, row: item.row };
      const entry = found.get(key);
      if (!entry) {
        const t = requestIdTime(item.requestId);
        if (t !== null && t < now - this.opts.log.retentionMs) {
          return { ...base, status: 'expired', message: 'the prediction is older than the prediction log keeps (COALMINE_PREDICTION_RETENTION_HOURS)' };
        }
        return { ...base, status: 'unknown', message: `no prediction with request_id ${item.requestId}${item.row > 0 ? ` and row ${item.row}` : ''}` };
      }
      if (entry.label !== null || seen.has(key)) {
        return { ...base, status: 'duplicate', message: 'this prediction already has a label; a label counts once', variant: entry.variant, version: entry.version };
      }
      seen.add(key);
      toLabel.push({ ...item, index });
      return undefined;
    });
    const scored: { item: FeedbackItem & { index: number }; task: ModelTask }[] = [];
    for (const item of toLabel) {
      const entry = found.get(predictionKey(item))!;
      const task = await this.opts.taskOf(entry.model, entry.version);
      if (task === 'regressor' && (typeof item.label !== 'number' || !Number.isFinite(item.label))) {
        results[item.index] = { request_id: item.requestId, row: item.row, status: 'invalid', message: 'a regressor needs a numeric label' };
        continue;
      }
      if (task === undefined) {
        results[item.index] = { request_id: item.requestId, row: item.row, status: 'unknown', message: `version ${entry.version} of ${entry.model} no longer exists` };
        continue;
      }
      scored.push({ item, task });
    }
    const labelled = await this.opts.log.label(scored.map((s) => s.item));
    for (const { item, task } of scored) {
      const entry = found.get(predictionKey(item))!;
      const base = { request_id: item.requestId, row: item.row, variant: entry.variant, version: entry.version };
      if (!labelled.has(predictionKey(item))) {
        results[item.index] = { ...base, status: 'duplicate', message: 'this prediction already has a label; a label counts once' };
        continue;
      }
      this.opts.telemetry.recordLabel(entry, task, entry.prediction, item.label);
      const correct = task === 'regressor' ? undefined : String(entry.prediction) === String(item.label);
      results[item.index] = { ...base, status: 'accepted', message: 'label recorded', ...(correct !== undefined ? { correct } : {}) };
    }
    return results as FeedbackResult[];
  }
}
