import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseUpstreamTarget } from './upstream-target.js';

describe('upstream URLs', () => {
  it('infers the protocol from the URL\'s shape', () => {
    assert.deepEqual(parseUpstreamTarget('http://triton:8000/v2/models/churn/versions/3/'), {
      protocol: 'open-inference',
      url: 'http://triton:8000/v2/models/churn/versions/3',
      origin: 'http://triton:8000',
      model: 'churn',
      version: '3',
    });
    assert.equal(parseUpstreamTarget('http://kserve/v2/models/fraud').version, null);
    const tf = parseUpstreamTarget('https://tfs:8501/v1/models/churn');
    assert.equal(tf.protocol, 'tf-serving');
    assert.equal(tf.model, 'churn');
    assert.equal(parseUpstreamTarget('http://mlflow:5000').protocol, 'mlflow');
    assert.equal(parseUpstreamTarget('http://mlflow:5000/invocations').url, 'http://mlflow:5000');
    assert.equal(parseUpstreamTarget('http://127.0.0.1:9000/v2/models/my%20model').model, 'my model');
  });

  it('takes a named protocol, and checks the URL fits it', () => {
    assert.equal(parseUpstreamTarget('http://host:8080', 'mlflow').protocol, 'mlflow');
    assert.throws(() => parseUpstreamTarget('http://host:8080', 'open-inference'), /names the model: http:\/\/host:8080\/v2\/models\/<model>/);
    assert.throws(() => parseUpstreamTarget('http://host:8080/v2/models/m', 'grpc'), /"grpc" is not one coalmine speaks/);
  });

  it('refuses what is not a model server URL, saying which forms are', () => {
    for (const [url, message] of [
      ['not a url', /is not a URL/],
      ['ftp://host/v2/models/m', /must be http or https/],
      ['http://user:secret@host/v2/models/m', /must not carry credentials/],
      ['http://host/v2/models/m?x=1', /must not have a query/],
      ['http://host/predict', /cannot tell the protocol.*MLflow scoring server: http:\/\/host:port/],
    ] as const) {
      assert.throws(() => parseUpstreamTarget(url), (e: Error & { code?: string }) => e.code === 'invalid_request' && message.test(e.message), url);
    }
  });
});
