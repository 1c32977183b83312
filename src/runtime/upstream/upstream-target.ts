import { appError, UPSTREAM_PROTOCOLS, type UpstreamProtocol } from '../../domain/index.js';

/** A model server's URL, taken apart the way its protocol addresses it. */
export interface UpstreamTarget {
  readonly protocol: UpstreamProtocol;
  /** The URL as stored: normalized, no trailing slash, no query. */
  readonly url: string;
  /** scheme://host:port */
  readonly origin: string;
  /** The model's name on the server (the OIP and TF Serving paths name it; MLflow serves one model). */
  readonly model: string | null;
  readonly version: string | null;
}

const OIP = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?$/;
const TF = /^\/v1\/models\/([^/:]+)(?:\/versions\/([^/:]+))?$/;

const FORMS =
  'Open Inference Protocol (KServe V2): http://host:port/v2/models/<model>[/versions/<v>]; MLflow scoring server: http://host:port; TF Serving / KServe V1: http://host:port/v1/models/<model>';

function bad(message: string): never {
  throw appError('invalid_request', message);
}

/**
 * Reads a version's upstream URL and its protocol: named by `protocol`, or inferred from the URL's
 * shape. A URL that fits neither form is refused with the forms it may take.
 */
export function parseUpstreamTarget(raw: string, protocol?: string): UpstreamTarget {
  if (protocol !== undefined && !UPSTREAM_PROTOCOLS.includes(protocol as UpstreamProtocol)) {
    bad(`upstream protocol "${protocol}" is not one coalmine speaks; use one of ${UPSTREAM_PROTOCOLS.join(', ')}`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    bad(`upstream URL ${JSON.stringify(raw.slice(0, 200))} is not a URL; forms: ${FORMS}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') bad(`upstream URL must be http or https, got ${url.protocol}`);
  if (url.username || url.password) bad('upstream URL must not carry credentials: coalmine stores and shows it');
  if (url.search || url.hash) bad('upstream URL must not have a query or fragment; give the model\'s base URL');
  const path = url.pathname.replace(/\/+$/, '');
  const oip = OIP.exec(path);
  const tf = TF.exec(path);
  const inferred: UpstreamProtocol | undefined = oip ? 'open-inference' : tf ? 'tf-serving' : path === '' || path === '/invocations' ? 'mlflow' : undefined;
  const chosen = (protocol as UpstreamProtocol | undefined) ?? inferred;
  if (chosen === undefined) bad(`cannot tell the protocol of ${url.origin}${path}: it fits no known form; ${FORMS}; or name it with --protocol`);
  const decode = (s: string | undefined) => (s === undefined ? null : decodeURIComponent(s));
  if (chosen === 'open-inference') {
    if (!oip) bad(`an Open Inference Protocol URL names the model: ${url.origin}/v2/models/<model>[/versions/<v>]; got ${url.origin}${path}`);
    return { protocol: chosen, url: `${url.origin}${path}`, origin: url.origin, model: decode(oip[1]), version: decode(oip[2]) };
  }
  if (chosen === 'tf-serving') {
    if (!tf) bad(`a TF Serving URL names the model: ${url.origin}/v1/models/<model>; got ${url.origin}${path}`);
    return { protocol: chosen, url: `${url.origin}${path}`, origin: url.origin, model: decode(tf[1]), version: decode(tf[2]) };
  }
  if (path !== '' && path !== '/invocations') bad(`an MLflow scoring server URL is the server's root (http://host:port); got ${url.origin}${path}`);
  return { protocol: chosen, url: url.origin, origin: url.origin, model: null, version: null };
}
