import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>coalmine</title>
<p>The coalmine dashboard is not built. Run <code>npm run build</code> and reload; the HTTP API works without it.</p>`;

/** The web dashboard: static files built by `npm run build`, served from the same port as the API. */
export function dashboardRoutes(app: FastifyInstance, dir: string): void {
  if (!existsSync(join(dir, 'index.html'))) {
    app.log.warn({ dir }, 'dashboard not built; / explains how to build it');
    app.get('/', async (_req, reply) => reply.status(503).type('text/html; charset=utf-8').send(NOT_BUILT));
    return;
  }
  // wildcard: false registers one route per file at start, so unknown paths keep the API's JSON 404.
  void app.register(fastifyStatic, { root: dir, prefix: '/', wildcard: false, index: 'index.html', cacheControl: true, maxAge: 0 });
  // Browsers ask for /favicon.ico whatever the page links; the SVG icon answers it (Chromium and
  // Firefox read an SVG served there), instead of a 404 in every console.
  if (existsSync(join(dir, 'favicon.svg'))) {
    const icon = readFileSync(join(dir, 'favicon.svg'));
    app.get('/favicon.ico', async (_req, reply) => reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(icon));
  }
}
