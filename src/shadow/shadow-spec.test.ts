import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SHADOW_POLICY } from '../domain/index.js';
import { parseShadowStart } from './shadow-spec.js';

const refused = (body: unknown, message: RegExp) => assert.throws(() => parseShadowStart(body), (e: Error & { code?: string }) => e.code === 'invalid_request' && message.test(e.message));

describe('shadow start body', () => {
  it('fills in the defaults: all traffic, the default policy, no webhooks', () => {
    assert.deepEqual(parseShadowStart({ version: 3 }), { version: 3, sampleBp: 10_000, policy: DEFAULT_SHADOW_POLICY, webhooks: [] });
    assert.equal(parseShadowStart({ version: 'v4' }).version, 4);
  });

  it('reads a sample as percent, with or without the sign, to 0.01%', () => {
    assert.equal(parseShadowStart({ version: 1, sample: '25%' }).sampleBp, 2500);
    assert.equal(parseShadowStart({ version: 1, sample: 12.5 }).sampleBp, 1250);
    refused({ version: 1, sample: 0 }, /sample must be a share of traffic above 0%/);
    refused({ version: 1, sample: '150%' }, /at most 100%/);
    refused({ version: 1, sample: 'half' }, /sample must be a share/);
  });

  it('takes any policy field, refuses unknown ones and values out of range', () => {
    const p = parseShadowStart({ version: 1, policy: { minAgreement: 0.8, minLabelled: 40 } }).policy;
    assert.equal(p.minAgreement, 0.8);
    assert.equal(p.minLabelled, 40);
    assert.equal(p.maxErrorRate, DEFAULT_SHADOW_POLICY.maxErrorRate);
    refused({ version: 1, policy: { minAgreemnt: 0.8 } }, /unknown field\(s\) minAgreemnt; known: minAgreement/);
    refused({ version: 1, policy: { alpha: 0 } }, /policy\.alpha must be a number from 0 \(exclusive\) to 0\.5/);
    refused({ version: 1, policy: { minCompared: 2.5 } }, /policy\.minCompared must be a whole number/);
    refused({ version: 1, policy: { maxErrorRate: Number.NaN } }, /policy\.maxErrorRate/);
    refused({ version: 1, policy: [] }, /policy must be an object/);
  });

  it('refuses a body without a version, unknown fields and bad webhooks', () => {
    refused(null, /must be an object/);
    refused({}, /version must be a version number/);
    refused({ version: 0 }, /version must be a version number/);
    refused({ version: 1, shadow: 2 }, /unknown field\(s\) shadow/);
    refused({ version: 1, webhooks: ['ftp://x'] }, /^shadow: webhooks\[0\] must be an http\(s\) URL/);
  });
});
