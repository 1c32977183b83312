import { appError } from './errors.js';

const HOST_PORT = /^(?:\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*):(\d{1,5})$/;

/**
 * A version's endpoint: where a proxy coalmine drives sends its share. host:port (an IP address,
 * [IPv6] or a DNS name), which for the Kubernetes routers is a Service's name and port.
 */
export function parseEndpoint(value: unknown, field = 'endpoint'): string {
  const m = typeof value === 'string' && value.length <= 300 ? HOST_PORT.exec(value) : null;
  const port = m ? Number(m[1]) : 0;
  if (!m || port < 1 || port > 65_535) {
    throw appError('invalid_request', `${field} must be host:port (e.g. 10.0.0.7:8080, [::1]:8080, or a Kubernetes Service as churn-v2:8080), got ${JSON.stringify(value)}`);
  }
  return value as string;
}

/** The endpoint a proxy sends a version's share to: its own, or the host:port of its upstream URL. */
export function endpointOf(version: { readonly endpoint?: string; readonly source: { readonly kind: string; readonly url?: string } }): string | null {
  if (version.endpoint) return version.endpoint;
  if (version.source.kind === 'onnx' || !version.source.url) return null;
  const u = new URL(version.source.url);
  // URL keeps an IPv6 host in its brackets.
  return `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
}
