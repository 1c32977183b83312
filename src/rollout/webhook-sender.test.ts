import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import type { OutboxItem, OutboxStore } from '../store/index.js';
import { WebhookSender } from './webhook-sender.js';

/** Records what the sender does with each item. */
class FakeOutbox implements OutboxStore {
  readonly retried: number[] = [];
  readonly deliveredIds: number[] = [];
  constructor(private readonly items: OutboxItem[]) {}
  async due(): Promise<OutboxItem[]> {
    return this.items.filter((i) => !this.deliveredIds.includes(i.id) && !this.retried.includes(i.id));
  }
  async delivered(id: number): Promise<void> {
    this.deliveredIds.push(id);
  }
  async retryLater(id: number): Promise<void> {
    this.retried.push(id);
  }
}

const silent = { info: () => undefined, warn: () => undefined };

async function listen(onRequest: (req: IncomingMessage) => void): Promise<{ server: Server; url: string }> {
  const server = createServer((req) => onRequest(req));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook` };
}

describe('webhook sender', () => {
  it('stops at once while a receiver holds a delivery without answering, and keeps the item due', async () => {
    let seen!: () => void;
    const arrived = new Promise<void>((r) => (seen = r));
    const { server, url } = await listen(() => seen());
    try {
      const outbox = new FakeOutbox([1, 2, 3].map((id) => ({ id, rolloutId: 'r', url, payload: '{}', attempts: 0 })));
      // A per-delivery timeout far longer than the test: only stop() can end the wait.
      const sender = new WebhookSender(outbox, silent, Date.now, 600_000);
      const pass = sender.deliver();
      await arrived;
      const stopped = sender.stop().then(() => 'stopped' as const);
      const hung = new Promise<'hung'>((r) => setTimeout(() => r('hung'), 20_000).unref());
      assert.equal(await Promise.race([stopped, hung]), 'stopped');
      await pass;
      assert.deepEqual(outbox.retried, [], 'an abandoned delivery is not counted as a failed attempt');
      assert.deepEqual(outbox.deliveredIds, []);
      await sender.deliver();
      assert.deepEqual(outbox.deliveredIds, [], 'a stopped sender sends nothing more');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('a delivery that times out is retried later, the next item goes ahead', async () => {
    let calls = 0;
    const { server, url } = await listen((req) => {
      calls++;
      if (calls > 1) req.socket.end('HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n');
    });
    try {
      const outbox = new FakeOutbox([1, 2].map((id) => ({ id, rolloutId: 'r', url, payload: '{}', attempts: 0 })));
      await new WebhookSender(outbox, silent, Date.now, 300).deliver();
      assert.deepEqual(outbox.retried, [1]);
      assert.deepEqual(outbox.deliveredIds, [2]);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
