export { UpstreamHttp, UpstreamUnreachableError, type UpstreamHttpOptions } from './upstream-http.js';
export { parseUpstreamTarget, type UpstreamTarget } from './upstream-target.js';
export { UpstreamRejectedError, probeRow, type UpstreamHints } from './protocol-client.js';
export { discoverUpstream, protocolClient, UpstreamRuntime, type DiscoveredUpstream } from './upstream-runtime.js';
