import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify, { LogController } from 'fastify';
import pino from 'pino';
import { Writable } from 'node:stream';
import { lazyChildLoggerFactory } from './lazy-child-logger.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

describe('lazy request loggers', () => {
  it('build no pino child for a request that does not log, and one bound to the request id for one that does', async () => {
    const { lines, logger } = capture();
    let children = 0;
    const child = logger.child.bind(logger);
    logger.child = ((...args: Parameters<typeof child>) => {
      children++;
      return child(...args);
    }) as typeof logger.child;
    const app = Fastify({ loggerInstance: logger, logController: new LogController({ disableRequestLogging: true }), childLoggerFactory: lazyChildLoggerFactory });
    app.get('/quiet', async () => ({ ok: true }));
    app.get('/loud', async (req) => {
      req.log.warn({ extra: 1 }, 'something to say');
      return { ok: true };
    });
    try {
      await app.ready();
      children = 0; // Fastify's own children for its plugins, made at boot
      for (let i = 0; i < 5; i++) assert.equal((await app.inject('/quiet')).statusCode, 200);
      assert.equal(children, 0, 'a request that never logs must not build a child logger');
      const res = await app.inject('/loud');
      assert.equal(res.statusCode, 200);
      assert.equal(children, 1, 'the first log line builds the child');
      const line = lines.find((l) => l.msg === 'something to say');
      assert.ok(line, `the line was written: ${JSON.stringify(lines)}`);
      assert.equal(line.level, 40);
      assert.equal(line.extra, 1);
      assert.match(String(line.reqId), /^req-/);
    } finally {
      await app.close();
    }
  });

  it('forward the level, and children of children keep the request id', () => {
    const { lines, logger } = capture();
    const log = lazyChildLoggerFactory(logger, { reqId: 'req-7' }, {});
    assert.equal(log.level, 'info');
    log.level = 'debug';
    log.debug('now visible');
    log.child({ part: 'x' }).info('from a grandchild');
    assert.deepEqual(
      lines.map((l) => [l.msg, l.reqId, l.part]),
      [
        ['now visible', 'req-7', undefined],
        ['from a grandchild', 'req-7', 'x'],
      ],
    );
  });
});
