import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { missing } from '../src/test-support/daemons.js';
import { parseWrkOutput, WrkLoad, wrkPath, wrkScript } from '../bench/wrk.js';

describe('the benchmark load generator (wrk)', () => {
  it('reads the summary line its script prints among wrk’s own report, latency in ms', () => {
    const out = [
      'Running 3s test @ http://127.0.0.1:1',
      '  2 threads and 32 connections',
      '{"requests":30000,"duration_us":3000000,"p50_us":1234,"p99_us":5678,"status":3,"connect":1,"read":2,"write":0,"timeout":4}',
      'Requests/sec:  10000.00',
    ].join('\n');
    assert.deepEqual(parseWrkOutput(out), { rps: 10_000, requests: 30_000, p50: 1.234, p99: 5.678, non2xx: 3, errors: 7 });
    assert.throws(() => parseWrkOutput('Running 3s test\nRequests/sec: 1'), /wrk printed no summary/);
  });

  it('quotes bodies in Lua long brackets that no body can close early', () => {
    const script = wrkScript('/p', ['{"a":"]]"}', '{"b":"]] ]=]"}', '{"c":1}']);
    assert.ok(script.includes('[=[{"a":"]]"}]=]'), script);
    assert.ok(script.includes('[==[{"b":"]] ]=]"}]==]'), script);
    assert.ok(script.includes('[[{"c":1}]]'), script);
    assert.match(script, /wrk\.format\("POST", \[\[\/p\]\]/);
  });

  describe('driving a real server', { skip: missing(wrkPath() !== null, 'wrk', 'wrk', 'the wrk load tests', 'COALMINE_REQUIRE_WRK') ?? false }, () => {
    let server: Server;
    let url: string;
    const seen: { method: string; type: string | undefined; body: string }[] = [];
    before(async () => {
      server = createServer((req, res) => {
        let body = '';
        req.setEncoding('utf8');
        req.on('data', (c: string) => (body += c));
        req.on('end', () => {
          seen.push({ method: req.method!, type: req.headers['content-type'], body });
          res.writeHead(body.includes('"bad"') ? 500 : 200, { 'content-type': 'application/json' }).end('{}');
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((r) => server.close(() => r())));

    it('POSTs each body in turn as JSON, and counts what the server answered and what failed', async () => {
      const wrk = new WrkLoad(wrkPath()!);
      try {
        const bodies = ['{"features":[1,2]}', '{"features":[3,4]}', '{"features":"bad"}'];
        const r = await wrk.run(url, wrk.script('/v1/models/churn/predict', bodies), 1, 2);
        assert.ok(r.requests > 10, `wrk completed ${r.requests} requests in a second`);
        assert.ok(seen.length >= r.requests, `the server saw ${seen.length} requests, wrk counted ${r.requests}`);
        assert.ok(
          seen.every((s) => s.method === 'POST' && s.type === 'application/json' && bodies.includes(s.body)),
          `every request is a POST of one of the bodies: ${JSON.stringify(seen.slice(0, 3))}`,
        );
        for (const b of bodies) assert.ok(seen.some((s) => s.body === b), `body ${b} was sent`);
        // One body in three answers 500: wrk's non-2xx count must see them.
        assert.ok(Math.abs(r.non2xx - r.requests / 3) <= 3, `non-2xx ${r.non2xx} of ${r.requests}`);
        assert.equal(r.errors, 0);
        assert.ok(r.p50 > 0 && r.p99 >= r.p50, `latency p50 ${r.p50} ms, p99 ${r.p99} ms`);
      } finally {
        wrk.close();
      }
    });
  });
});
