import { createConnection, type Socket } from 'node:net';

/**
 * HAProxy's runtime API over its stats socket (a unix socket path, or host:port of a TCP one):
 * one command per connection, the answer read until HAProxy closes it, as `socat` does. No
 * npm client covers the runtime API beyond stats reading, and the protocol is a line of text.
 */
export class HaproxyRuntimeApi {
  constructor(
    /** "/run/haproxy/admin.sock" or "127.0.0.1:9999". */
    readonly socket: string,
    private readonly timeoutMs = 3000,
  ) {}

  run(command: string): Promise<string> {
    if (/[\r\n;]/.test(command)) return Promise.reject(new Error(`a runtime API command is one line without ';': ${JSON.stringify(command)}`));
    return new Promise((resolve, reject) => {
      const tcp = /^(.+):(\d{1,5})$/.exec(this.socket);
      const conn: Socket = tcp && !this.socket.startsWith('/') ? createConnection({ host: tcp[1]!.replace(/^\[|\]$/g, ''), port: Number(tcp[2]) }) : createConnection({ path: this.socket });
      let out = '';
      const timer = setTimeout(() => conn.destroy(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      conn.setEncoding('utf8');
      conn.on('connect', () => conn.end(`${command}\n`));
      conn.on('data', (d: string) => {
        out += d;
        if (out.length > 4_000_000) conn.destroy(new Error('the answer is over 4 MB'));
      });
      conn.on('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`HAProxy's runtime API at ${this.socket}: ${err.message}`));
      });
      conn.on('close', (hadError) => {
        clearTimeout(timer);
        if (!hadError) resolve(out);
      });
    });
  }
}

/** One server of `show servers state`, by the column names HAProxy prints in its header. */
export interface ServerState {
  readonly backend: string;
  readonly server: string;
  readonly addr: string;
  readonly port: number;
  /** The weight set by the user (`srv_uweight`), 0–256. */
  readonly weight: number;
  /** 0 stopped, 1 starting, 2 running, 3 stopping (`srv_op_state`). */
  readonly opState: number;
  /** Bit field; 0 means ready (not in maintenance or drain). */
  readonly adminState: number;
}

/**
 * Parses `show servers state [backend]`: a version line, a "# be_id be_name srv_id srv_name …"
 * header, then one line per server. Columns are found by name, so a HAProxy version that adds
 * columns does not shift the ones read here.
 */
export function parseServersState(text: string): ServerState[] {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const header = lines.find((l) => l.startsWith('#'));
  if (!header) throw new Error(`not a "show servers state" answer: ${JSON.stringify(text.slice(0, 200))}`);
  const cols = header.replace(/^#\s*/, '').split(/\s+/);
  const at = (name: string) => {
    const i = cols.indexOf(name);
    if (i < 0) throw new Error(`"show servers state" has no ${name} column`);
    return i;
  };
  const [be, srv, addr, port, weight, op, admin] = ['be_name', 'srv_name', 'srv_addr', 'srv_port', 'srv_uweight', 'srv_op_state', 'srv_admin_state'].map(at) as [number, number, number, number, number, number, number];
  return lines
    .filter((l) => !l.startsWith('#') && /\s/.test(l))
    .map((l) => l.split(/\s+/))
    .map((f) => ({ backend: f[be]!, server: f[srv]!, addr: f[addr]!, port: Number(f[port]), weight: Number(f[weight]), opState: Number(f[op]), adminState: Number(f[admin]) }));
}
