/**
 * The floor of any Node.js gateway, for the gateway scenario: node:http in front of an undici Pool
 * (the client coalmine uses, through the same dispatch API), passing bodies through untouched.
 * No framework, no parsing, no routing, no telemetry: what a Node process pays to take a request
 * in and send it on, so the bench can tell Node's cost from coalmine's own.
 *
 * Usage: node --import tsx bench/node-proxy.ts <upstream origin> <port>
 */
import { createServer } from 'node:http';
import { Pool } from 'undici';

const [upstream, port] = process.argv.slice(2);
const pool = new Pool(upstream!, { connections: 64, pipelining: 1, keepAliveTimeout: 30_000 });

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const out: Buffer[] = [];
    let status = 502;
    pool.dispatch(
      { path: req.url ?? '/', method: req.method === 'GET' ? 'GET' : 'POST', headers: { 'content-type': 'application/json' }, body: chunks.length > 0 ? Buffer.concat(chunks) : null },
      {
        onRequestStart: () => undefined,
        onResponseStart: (_controller, statusCode) => {
          status = statusCode;
        },
        onResponseData: (_controller, chunk) => {
          out.push(chunk);
        },
        onResponseEnd: () => {
          const body = Buffer.concat(out);
          res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length });
          res.end(body);
        },
        onResponseError: () => {
          res.writeHead(502);
          res.end();
        },
      },
    );
  });
});
server.listen(Number(port), '127.0.0.1', () => process.stdout.write(`ready http://127.0.0.1:${port}\n`));
process.on('SIGTERM', () => {
  server.close();
  void pool.close().then(() => process.exit(0));
});
