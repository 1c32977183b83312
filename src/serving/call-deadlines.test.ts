import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PredictOptions } from '../runtime/index.js';
import { CallDeadlines } from './call-deadlines.js';

const after = <T>(ms: number, value: T) => new Promise<T>((r) => setTimeout(() => r(value), ms));

describe('call deadlines', () => {
  it('times out only calls that outlive the timeout, aborting their signal, and forgets settled ones', async () => {
    const d = new CallDeadlines(30);
    let slowOpts: PredictOptions | undefined;
    const fast = d.run(() => Promise.resolve('fast'));
    const slow = d.run((opts) => {
      slowOpts = opts;
      const signal = opts.signal!;
      return new Promise<string>((resolve) => signal.addEventListener('abort', () => resolve('ignored')));
    });
    assert.equal(await fast, 'fast');
    assert.equal(d.pending, 1);
    await assert.rejects(slow, (e: Error) => e.name === 'TimeoutError' && /longer than 30 ms/.test(e.message));
    assert.equal(slowOpts!.signal!.aborted, true);
    assert.equal(d.pending, 0);
  });

  it('passes on the call’s own failure, thrown or rejected', async () => {
    const d = new CallDeadlines(1000);
    await assert.rejects(d.run(() => Promise.reject(new Error('model crashed'))), /model crashed/);
    await assert.rejects(
      d.run(() => {
        throw new Error('threw at once');
      }),
      /threw at once/,
    );
    assert.equal(d.pending, 0);
  });

  it('times out a call that never ends and never asks for a signal', async () => {
    const d = new CallDeadlines(20);
    await assert.rejects(d.run(() => new Promise(() => undefined)), { name: 'TimeoutError' });
    assert.equal(d.pending, 0);
  });

  it('keeps no entries behind once calls settle in any order, and stays small under many calls', async () => {
    const d = new CallDeadlines(60_000);
    const calls = Array.from({ length: 5000 }, (_, i) => d.run(() => after(5000 - i >= 4990 ? 30 : 1, i)));
    assert.equal(d.pending, 5000);
    await Promise.all(calls);
    assert.equal(d.pending, 0);
    for (let i = 0; i < 100_000; i++) await d.run(() => Promise.resolve(i));
    assert.equal(d.pending, 0);
  });

  it('a call that ends in time is never aborted later', async () => {
    const d = new CallDeadlines(10);
    let opts: PredictOptions | undefined;
    await d.run((o) => {
      opts = o;
      return Promise.resolve(1);
    });
    await after(40, undefined);
    assert.equal(opts!.signal!.aborted, false);
  });

  it('tells a call that asked with onCancel once when it times out, and never one that ended in time', async () => {
    const d = new CallDeadlines(20);
    const told: unknown[] = [];
    const slow = d.run((o) => {
      o.onCancel!((reason) => told.push(reason));
      return new Promise(() => undefined);
    });
    await assert.rejects(slow, { name: 'TimeoutError' });
    assert.equal(told.length, 1);
    assert.equal((told[0] as Error).name, 'TimeoutError');
    const quick: unknown[] = [];
    await d.run((o) => {
      o.onCancel!((reason) => quick.push(reason));
      return Promise.resolve(1);
    });
    await after(60, undefined);
    assert.deepEqual(quick, [], 'a call that ended in time is not cancelled afterwards');
  });
});
