import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isIP } from 'node:net';
import { appError } from '../domain/index.js';

export interface GuardOptions {
  /** Host names served besides loopback names and IP literals; `*` serves any (COALMINE_ALLOWED_HOSTS). */
  readonly allowedHosts: readonly string[];
  /** The name the server was told to listen on, served as well. */
  readonly listenHost: string;
}

/** `evil.example:8080` → `evil.example`, `[::1]:8080` → `::1`. */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') === -1 ? undefined : h.indexOf(']'));
  const colon = h.lastIndexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

/**
 * DNS rebinding points a name the attacker owns at 127.0.0.1, so a page of theirs becomes "same
 * origin" with coalmine. Only a Host that is an IP literal, a loopback name or a configured name
 * is served (webpack-dev-server's and Vite's `allowedHosts` closed the same hole).
 */
export function hostAllowed(header: string | undefined, opts: GuardOptions): boolean {
  if (header === undefined) return true; // No browser omits Host; an HTTP/1.0 tool may.
  if (opts.allowedHosts.includes('*')) return true;
  const name = hostName(header);
  if (isIP(name) !== 0 || name === 'localhost' || name.endsWith('.localhost')) return true;
  if (name === opts.listenHost.toLowerCase()) return true;
  return opts.allowedHosts.some((allowed) => (allowed.startsWith('.') ? name.endsWith(allowed) || name === allowed.slice(1) : name === allowed));
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Why a state-changing request comes from another site's page, or null. Browsers send `Origin`
 * on every cross-origin POST (and `Sec-Fetch-Site`); curl and the seeds' Python clients send
 * neither, and keep working.
 */
export function crossSiteReason(req: Pick<FastifyRequest, 'method' | 'headers'>): string | null {
  if (READS.has(req.method)) return null;
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return `Sec-Fetch-Site is "${site}"`;
  const origin = req.headers.origin;
  if (origin === undefined) return null;
  if (origin === 'null') return 'Origin is "null" (a sandboxed page or a file)';
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return `Origin "${origin}" is not a URL`;
  }
  return originHost === (req.headers.host ?? '').toLowerCase() ? null : `Origin ${origin} is not this server (${req.headers.host ?? 'no Host'})`;
}

/**
 * Runs before authentication, on every route, the dashboard's files included. A callback hook,
 * not an async one: it runs on every prediction, and an async hook costs a promise and its turn.
 */
export function installRequestGuards(app: FastifyInstance, opts: GuardOptions): void {
  // Clients send the same few Host values on every request; the verdict on each is kept (at most
  // 256 of them, so a client that makes up names cannot grow it) instead of parsed every time.
  const verdicts = new Map<string, boolean>();
  const allowed = (host: string | undefined): boolean => {
    if (host === undefined) return hostAllowed(host, opts);
    let ok = verdicts.get(host);
    if (ok === undefined) {
      ok = hostAllowed(host, opts);
      if (verdicts.size >= 256) verdicts.clear();
      verdicts.set(host, ok);
    }
    return ok;
  };
  app.addHook('onRequest', (req, _reply, done) => {
    const host = req.headers.host;
    if (!allowed(host)) {
      return done(appError('host_not_allowed', `this server does not answer to Host "${host}" (a guard against DNS rebinding); to reach it by that name, add ${hostName(host!)} to COALMINE_ALLOWED_HOSTS`));
    }
    const why = crossSiteReason(req);
    if (why) return done(appError('cross_origin', `state changes are not taken from other web pages (${why}); use the dashboard served by this server, the CLI or a non-browser client`));
    done();
  });
}
