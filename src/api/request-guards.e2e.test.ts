import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { crossSiteReason, hostAllowed } from './request-guards.js';

interface Raw {
  status: number;
  json: { error?: { code: string; message: string } } & Record<string, unknown>;
}

/** node:http, because fetch will not send a Host header of our choosing. */
function raw(base: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Raw> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path: url.pathname, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Raw['json'] }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Writes bytes on a raw socket and reads until the server closes it. */
function rawSocket(base: string, bytes: string | Buffer, timeoutMs = 20_000): Promise<string> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`server did not close the connection within ${timeoutMs} ms; got: ${text}`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (text += c));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
    socket.on('error', () => undefined);
    socket.write(bytes);
  });
}

const bodyOf = (response: string) => JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as { error: { code: string; message: string } };

describe('request guards: Host, Origin and Sec-Fetch-Site', () => {
  it('serves IP literals, loopback names, the listen name and configured names only', () => {
    const opts = { allowedHosts: ['coalmine.internal', '.corp.example'], listenHost: '127.0.0.1' };
    for (const host of ['127.0.0.1:8080', 'localhost:8080', 'app.localhost', '[::1]:8080', '10.1.2.3', 'coalmine.internal:80', 'a.corp.example', 'corp.example']) assert.ok(hostAllowed(host, opts), host);
    for (const host of ['evil.example:8080', 'coalmine.internal.evil.example', 'localhost.evil.example', 'xcorp.example']) assert.ok(!hostAllowed(host, opts), host);
    assert.ok(hostAllowed('anything.example', { allowedHosts: ['*'], listenHost: '127.0.0.1' }));
  });

  it('refuses state changes from another origin or site, and lets clients without Origin through', () => {
    const post = (headers: Record<string, string>) => crossSiteReason({ method: 'POST', headers: { host: '127.0.0.1:8080', ...headers } });
    assert.equal(post({}), null);
    assert.equal(post({ origin: 'http://127.0.0.1:8080', 'sec-fetch-site': 'same-origin' }), null);
    assert.match(post({ origin: 'http://evil.example' })!, /Origin http:\/\/evil\.example is not this server/);
    assert.match(post({ origin: 'http://127.0.0.1:3000' })!, /not this server/);
    assert.match(post({ origin: 'null' })!, /"null"/);
    assert.match(post({ 'sec-fetch-site': 'cross-site' })!, /cross-site/);
    assert.match(post({ 'sec-fetch-site': 'same-site' })!, /same-site/);
    assert.equal(crossSiteReason({ method: 'GET', headers: { host: 'x', origin: 'http://evil.example' } }), null);
  });
});

describe('request guards on a real server (loopback, no token)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ overrides: { requestTimeoutMs: 1000, maxConnectionsPerClient: 20 } });
  });
  after(() => server.close());

  const canaryWeight = async () => (await server.request('GET', '/v1/models/churn')).json.canary_weight as number;

  it('a cross-site "simple" POST is refused and changes nothing', async () => {
    const before = await canaryWeight();
    const r = await raw(server.url, 'POST', '/set_canary/100', { 'content-type': 'text/plain', origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' }, 'x');
    assert.equal(r.status, 403);
    assert.equal(r.json.error?.code, 'cross_origin');
    const noOrigin = await raw(server.url, 'POST', '/set_canary/100', { 'sec-fetch-site': 'cross-site' });
    assert.equal(noOrigin.status, 403);
    assert.equal(await canaryWeight(), before);
  });

  it('a text/plain body is never read as JSON or YAML', async () => {
    const r = await raw(server.url, 'POST', '/v1/models/churn/rollout', { 'content-type': 'text/plain' }, 'canary: 2');
    assert.equal(r.status, 415);
    assert.equal(r.json.error?.code, 'unsupported_media_type');
    const form = await raw(server.url, 'PUT', '/v1/models/churn/traffic', { 'content-type': 'application/x-www-form-urlencoded' }, 'canary_weight=100');
    assert.equal(form.status, 415);
    assert.equal((await server.request('GET', '/v1/models/churn/rollout')).status, 404, 'no rollout was started');
  });

  it('a rebinding Host is refused, for reads and for the dashboard too', async () => {
    for (const path of ['/v1/models', '/', '/metrics']) {
      const r = await raw(server.url, 'GET', path, { host: 'evil.example:8080' });
      assert.equal(r.status, 403, path);
      assert.equal(r.json.error?.code, 'host_not_allowed');
      assert.match(r.json.error!.message, /COALMINE_ALLOWED_HOSTS/);
    }
  });

  it('curl-like clients and same-origin pages keep working', async () => {
    const origin = server.url;
    const r = await raw(server.url, 'POST', '/set_canary/30', { origin, 'sec-fetch-site': 'same-origin' });
    assert.equal(r.status, 200);
    const plain = await raw(server.url, 'POST', '/set_canary/20', {});
    assert.equal(plain.status, 200);
    assert.equal(await canaryWeight(), 20);
  });

  it("Node's own refusals come back in the error shape: huge headers, both framings, a NUL in the path", async () => {
    const big = await rawSocket(server.url, `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`);
    assert.match(big, /^HTTP\/1\.1 431 /);
    assert.equal(bodyOf(big).error.code, 'header_too_large');
    const both = await rawSocket(server.url, 'POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
    assert.match(both, /^HTTP\/1\.1 400 /);
    assert.equal(bodyOf(both).error.code, 'invalid_request');
    const nul = await rawSocket(server.url, Buffer.from('GET /v1/mo\0dels HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 'latin1'));
    assert.match(nul, /^HTTP\/1\.1 400 /);
    assert.equal(bodyOf(nul).error.code, 'invalid_request');
  });

  it('a body that stops arriving gets a 408 and its socket is closed', async () => {
    const response = await rawSocket(server.url, 'POST /v1/feedback HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{');
    assert.match(response, /^HTTP\/1\.1 408 /);
    assert.equal(bodyOf(response).error.code, 'request_timeout');
  });

  it('one client cannot hold more than its share of connections', async () => {
    const url = new URL(server.url);
    const sockets = await Promise.all(Array.from({ length: 20 }, () => new Promise<ReturnType<typeof connect>>((resolve) => { const s = connect(Number(url.port), url.hostname, () => resolve(s)); s.on('error', () => undefined); })));
    try {
      const refused = await rawSocket(server.url, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      assert.match(refused, /^HTTP\/1\.1 503 /);
      assert.equal(bodyOf(refused).error.code, 'too_many_connections');
    } finally {
      for (const s of sockets) s.destroy();
    }
    // Closed sockets give their places back (the server sees the closes shortly after).
    let reply = '';
    for (let i = 0; i < 100 && !reply.startsWith('HTTP/1.1 200'); i++) {
      reply = await rawSocket(server.url, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
      if (!reply.startsWith('HTTP/1.1 200')) await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(reply, /^HTTP\/1\.1 200 /);
  });
});
