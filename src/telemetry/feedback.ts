import { labelProblem, requestIdTime, type Label, type ModelSignature, type ModelTask } from '../domain/index.js';
import type { PredictionLog } from './prediction-log.js';
import { predictionKey } from './prediction-log.js';
import type { ShadowLabelResult, ShadowRecorder } from './shadow-recorder.js';
import type { Telemetry } from './telemetry.js';

/** Items judged per event-loop turn (~1-2 ms of work on this machine's class of CPU). */
export const FEEDBACK_SLICE = 500;

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

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
  /** The shadow that scored the same row, when one did, and whether it was right. */
  readonly shadow_version?: number;
  readonly shadow_correct?: boolean;
}

export interface FeedbackOptions {
  readonly log: PredictionLog;
  readonly telemetry: Telemetry;
  /** The signature of a model version, to check and score the label (undefined if the version is gone). */
  readonly signatureOf: (model: string, version: number) => Promise<ModelSignature | undefined>;
  readonly now?: () => number;
  /** Joins each accepted label to the shadow's answer for the same row, when a shadow scored it. */
  readonly shadows?: ShadowRecorder;
}

/**
 * Joins ground-truth labels to logged predictions. Each item gets its own answer: accepted (and
 * counted once for the variant and version that served it), unknown, expired, duplicate, or
 * invalid (e.g. a text label for a regressor).
 */
export class FeedbackService {
  constructor(private readonly opts: FeedbackOptions) {}

  /**
   * Works through a batch in slices with an event-loop turn between them: a 10,000-item batch in
   * one go held the loop for tens of milliseconds, and two clients sending such batches stalled
   * every prediction behind them.
   */
  async submit(items: readonly FeedbackItem[]): Promise<FeedbackResult[]> {
    const seen = new Set<string>();
    const signatures = new Map<string, Promise<ModelSignature | undefined>>();
    const results: FeedbackResult[] = [];
    for (let start = 0; start < items.length; start += FEEDBACK_SLICE) {
      if (start > 0) await yieldToLoop();
      results.push(...(await this.submitSlice(items.slice(start, start + FEEDBACK_SLICE), seen, signatures)));
    }
    return results;
  }

  private signature(cache: Map<string, Promise<ModelSignature | undefined>>, model: string, version: number): Promise<ModelSignature | undefined> {
    const key = `${model}@${version}`;
    let found = cache.get(key);
    if (!found) cache.set(key, (found = this.opts.signatureOf(model, version)));
    return found;
  }

  private async submitSlice(items: readonly FeedbackItem[], seen: Set<string>, signatures: Map<string, Promise<ModelSignature | undefined>>): Promise<FeedbackResult[]> {
    const found = await this.opts.log.find(items);
    const now = (this.opts.now ?? Date.now)();
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
      const signature = await this.signature(signatures, entry.model, entry.version);
      if (signature === undefined) {
        results[item.index] = { request_id: item.requestId, row: item.row, status: 'unknown', message: `version ${entry.version} of ${entry.model} no longer exists` };
        continue;
      }
      const problem = labelProblem(item.label, signature);
      if (problem) {
        results[item.index] = { request_id: item.requestId, row: item.row, status: 'invalid', message: `label ${problem}` };
        continue;
      }
      scored.push({ item, task: signature.task });
    }
    const labelled = await this.opts.log.label(scored.map((s) => s.item));
    const accepted = scored.filter((s) => labelled.has(predictionKey(s.item)));
    const shadowed = await (this.opts.shadows?.label(accepted.map((s) => ({ requestId: s.item.requestId, row: s.item.row, label: s.item.label, task: s.task }))) ?? new Map<string, ShadowLabelResult>());
    for (const { item, task } of scored) {
      const entry = found.get(predictionKey(item))!;
      const base = { request_id: item.requestId, row: item.row, variant: entry.variant, version: entry.version };
      if (!labelled.has(predictionKey(item))) {
        results[item.index] = { ...base, status: 'duplicate', message: 'this prediction already has a label; a label counts once' };
        continue;
      }
      this.opts.telemetry.recordLabel(entry, task, entry.prediction, item.label);
      const correct = task === 'regressor' ? undefined : String(entry.prediction) === String(item.label);
      const shadow = shadowed.get(predictionKey(item));
      results[item.index] = {
        ...base,
        status: 'accepted',
        message: 'label recorded',
        ...(correct !== undefined ? { correct } : {}),
        ...(shadow ? { shadow_version: shadow.shadowVersion, ...(shadow.correct !== undefined ? { shadow_correct: shadow.correct } : {}) } : {}),
      };
    }
    return results as FeedbackResult[];
  }
}
