import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errors } from 'undici';
import { BackendBadResponseError } from '../../../gateway/errors.js';
import { isBadResponse, staleConnectionFailure, toUpstreamError } from '../../../gateway/proxy/upstream-errors.js';

const withCode = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('toUpstreamError', () => {
  it('maps timeouts to 504, unparsable responses to SG_BACKEND_BAD_RESPONSE, the rest to SG_BACKEND_FAILED', () => {
    assert.equal(toUpstreamError(new errors.HeadersTimeoutError(), 'b:1').code, 'SG_BACKEND_TIMEOUT');
    assert.equal(toUpstreamError(new errors.BodyTimeoutError(), 'b:1').status, 504);
    assert.equal(toUpstreamError(new errors.HTTPParserError('Response does not match the HTTP/1.1 protocol (Invalid header value char)'), 'b:1').code, 'SG_BACKEND_BAD_RESPONSE');
    assert.equal(toUpstreamError(new errors.ResponseContentLengthMismatchError(), 'b:1').code, 'SG_BACKEND_BAD_RESPONSE');
    assert.equal(toUpstreamError(new errors.HeadersOverflowError(), 'b:1').code, 'SG_BACKEND_BAD_RESPONSE');
    assert.equal(toUpstreamError(new errors.SocketError('bad upgrade'), 'b:1').code, 'SG_BACKEND_BAD_RESPONSE');
    assert.equal(toUpstreamError(new errors.SocketError('other side closed'), 'b:1').code, 'SG_BACKEND_FAILED');
    assert.equal(toUpstreamError(withCode('ECONNREFUSED'), 'b:1').code, 'SG_BACKEND_FAILED');
    const own = new BackendBadResponseError('status 99');
    assert.equal(toUpstreamError(own, 'b:1'), own);
  });

  it('tells a bad response from a failed connection', () => {
    assert.equal(isBadResponse(new errors.SocketError('bad response')), true);
    assert.equal(isBadResponse(withCode('ECONNRESET')), false);
  });
});

describe('staleConnectionFailure', () => {
  it('is a close or reset on a reused connection, or one that failed a request still waiting for it', () => {
    const reset = withCode('ECONNRESET');
    assert.equal(staleConnectionFailure(reset, { reusedConnection: true, requestWritten: true }), true);
    assert.equal(staleConnectionFailure(reset, { reusedConnection: false, requestWritten: false }), true);
    assert.equal(staleConnectionFailure(reset, { reusedConnection: false, requestWritten: true }), false, 'a fresh connection that fails is the backend failing');
    assert.equal(staleConnectionFailure(new errors.SocketError('other side closed'), { reusedConnection: true, requestWritten: true }), true);
    assert.equal(staleConnectionFailure(new errors.SocketError('bad response'), { reusedConnection: true, requestWritten: true }), false);
    assert.equal(staleConnectionFailure(withCode('ECONNREFUSED'), { reusedConnection: false, requestWritten: false }), false);
  });
});
