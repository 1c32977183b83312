import type { FastifyInstance } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '../domain/index.js';

/** Who may call a route: anyone (predict, feedback, health, the page), readers, or admins. */
export type Access = 'open' | 'read' | 'admin';

export interface RouteAccess {
  readonly method: string;
  readonly url: string;
  readonly access: Access;
  /** The route declares its reply schema (src/api/reply-schemas.ts). */
  readonly replySchema: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyInstance {
    /** Every route with who may call it: for tests and audits. */
    readonly routeAccess: readonly RouteAccess[];
  }
}

export interface AuthOptions {
  /** Null: no token configured (a loopback-only server), everything is allowed. */
  readonly token: string | null;
  readonly protectReads: boolean;
}

/**
 * Routes say `config: { access }` when the default is wrong. By default, anything that is not a
 * GET changes state and is admin; GETs of the API (/v1, /admin, /metrics) are reads; other GETs
 * (health, the dashboard's static files) are open.
 */
export function defaultAccess(method: string, url: string): Access {
  if (method !== 'GET' && method !== 'HEAD') return 'admin';
  return url.startsWith('/v1/') || url.startsWith('/admin/') || url === '/metrics' ? 'read' : 'open';
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Must be installed before the routes are: it classifies each route as it is added. */
export function installAuth(app: FastifyInstance, opts: AuthOptions): void {
  const table: RouteAccess[] = [];
  app.decorate('routeAccess', table);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const access = route.config?.access ?? defaultAccess(methods[0]!, route.url);
    route.config = { ...route.config, access };
    for (const method of methods) table.push({ method, url: route.url, access, replySchema: route.schema?.response !== undefined });
  });
  if (opts.token === null) return;
  // Compared as SHA-256 digests with timingSafeEqual: equal lengths, and no timing hint about the token.
  const expected = digest(opts.token);
  // A callback hook: predictions pass it on every request, and an async hook costs a promise.
  app.addHook('onRequest', (req, reply, done) => {
    const access = req.routeOptions.config.access ?? 'open';
    if (access === 'open' || (access === 'read' && !opts.protectReads)) return done();
    const header = req.headers.authorization;
    const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    const what = access === 'admin' ? 'this admin operation' : 'reading this server (COALMINE_PROTECT_READS is on)';
    reply.header('www-authenticate', 'Bearer realm="coalmine"');
    if (!m) {
      return done(new AppError('unauthorized', `${what} needs the admin token: send "Authorization: Bearer <token>" (the CLI sends COALMINE_ADMIN_TOKEN or the server's <data-dir>/admin-token)`));
    }
    if (!timingSafeEqual(digest(m[1]!), expected)) {
      return done(new AppError('unauthorized', `the bearer token is not this server's admin token; check COALMINE_ADMIN_TOKEN or <data-dir>/admin-token`));
    }
    done();
  });
}
