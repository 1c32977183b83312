import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientUrl, loadConfig } from './index.js';

describe('config', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({}, {});
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.port, 8080);
    assert.equal(c.defaultModel, 'churn');
    assert.equal(c.resetCanaryWeightBp, 2000);
    assert.equal(c.deployCanaryWeightBp, 2000, 'deploy and reset share one default');
    assert.ok(c.dataDir.endsWith('.coalmine'));
    assert.ok(Object.isFrozen(c));
  });

  it('reads the environment, and explicit overrides win', () => {
    const env = { COALMINE_PORT: '9000', COALMINE_HOST: '0.0.0.0', COALMINE_DATA_DIR: '/tmp/x', COALMINE_CANARY_PERCENTAGE: '12.5' };
    const c = loadConfig({ port: 9100 }, env);
    assert.equal(c.port, 9100);
    assert.equal(c.host, '0.0.0.0');
    assert.equal(c.dataDir, '/tmp/x');
    assert.equal(c.resetCanaryWeightBp, 1250);
  });

  it('takes what proxy routers may touch from the environment only, with nginx off until a directory is given', () => {
    assert.deepEqual(loadConfig({}, {}).proxies, { nginxIncludeDir: null, nginxTestCommand: 'nginx -t', nginxReloadCommand: 'nginx -s reload', kubeconfig: null });
    const c = loadConfig({}, { COALMINE_NGINX_INCLUDE_DIR: '/etc/nginx/coalmine/', COALMINE_NGINX_RELOAD_COMMAND: 'systemctl reload nginx', COALMINE_KUBECONFIG: '/etc/coalmine/kubeconfig' });
    assert.deepEqual(c.proxies, { nginxIncludeDir: '/etc/nginx/coalmine', nginxTestCommand: 'nginx -t', nginxReloadCommand: 'systemctl reload nginx', kubeconfig: '/etc/coalmine/kubeconfig' });
  });

  it('refuses bad values with the variable named', () => {
    assert.throws(() => loadConfig({}, { COALMINE_PORT: 'http' }), /COALMINE_PORT=http/);
    assert.throws(() => loadConfig({}, { COALMINE_CANARY_PERCENTAGE: '150' }), /COALMINE_CANARY_PERCENTAGE/);
    assert.throws(() => loadConfig({}, { COALMINE_LOG_LEVEL: 'loud' }), /COALMINE_LOG_LEVEL/);
    assert.throws(() => loadConfig({}, { COALMINE_DEFAULT_MODEL: '../etc' }), /invalid model name/);
    assert.throws(() => clientUrl('not a url', {}), /not a valid URL/);
    assert.equal(clientUrl(undefined, {}), 'http://127.0.0.1:8080');
  });
});
