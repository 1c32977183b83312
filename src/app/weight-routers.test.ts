import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AppError, NginxTrafficSpec } from '../domain/index.js';
import { weightRouterFor } from './weight-routers.js';

const proxies = { nginxIncludeDir: '/etc/nginx/coalmine', nginxTestCommand: 'nginx -t', nginxReloadCommand: 'nginx -s reload', kubeconfig: null };
const nginx = (file: string): NginxTrafficSpec => ({ router: 'nginx', file, upstream: 'churn' });
const refused = (fn: () => unknown, pattern: RegExp) => assert.throws(fn, (e: AppError) => e.code === 'invalid_request' && pattern.test(e.message));

describe('weight routers picked for a spec', () => {
  it('write nginx upstreams only directly in the directory the server allows', () => {
    assert.equal(weightRouterFor('churn', nginx('/etc/nginx/coalmine/churn.conf'), proxies).kind, 'nginx');
    refused(() => weightRouterFor('churn', nginx('/etc/nginx/nginx.conf'), proxies), /must be a file directly in \/etc\/nginx\/coalmine/);
    refused(() => weightRouterFor('churn', nginx('/etc/nginx/coalmine/../../cron.d/x.conf'), proxies), /must be a file directly in/);
    refused(() => weightRouterFor('churn', nginx('/etc/nginx/coalmine/sub/x.conf'), proxies), /must be a file directly in/);
    refused(() => weightRouterFor('churn', nginx('/etc/nginx/coalmine/churn.conf'), { ...proxies, nginxIncludeDir: null }), /COALMINE_NGINX_INCLUDE_DIR/);
  });
});
