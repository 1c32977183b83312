import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { errorBody } from './error-handler.js';

/**
 * Caps the sockets one address holds open. Without it two clients that open connections and never
 * finish a request exhaust the process's file descriptors, and nobody else can connect. Refused
 * sockets get a 503 in the documented error shape and are closed.
 */
export function limitConnectionsPerClient(server: Server, max: number, onRefused: (address: string) => void): void {
  if (max <= 0) return;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const count = (open.get(address) ?? 0) + 1;
    if (count > max) {
      onRefused(address);
      const body = JSON.stringify(errorBody('too_many_connections', `${address} already has ${max} open connections (COALMINE_MAX_CONNECTIONS_PER_CLIENT); reuse or close connections`));
      socket.pause();
      socket.end(`HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`, () => socket.destroy());
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
}
