import { differential, differs, get, same } from '../../helpers/differential.js';

/** Which location a path reaches and what the backend is sent, for paths a client can write many ways. */
differential({
  name: 'URI normalisation and proxy_pass URI rewriting',
  backends: 2,
  http: `
    upstream files { server {b0}; }
    upstream raw { server {b1}; }
    server {
      listen {listen};
      location /public/ { proxy_pass http://files/internal/; }
      location /raw/ { proxy_pass http://raw; }
      location = /exact { proxy_pass http://files/elsewhere; }
    }`,
  cases: [
    same('a plain path', get('/public/a/b?x=1')),
    same('dot segments inside the location', get('/public/a/./b/../c')),
    same('merged slashes', get('/public//a///b')),
    same('%-escapes are decoded and escaped again', get('/public/a%20b%3Fc%25d')),
    same('an escaped UTF-8 path', get('/public/caf%C3%A9')),
    differs('.. out of the location: no location matches', get('/public/../secret'), ['error-body']),
    differs('%2e%2e out of the location', get('/public/%2e%2e/secret'), ['error-body']),
    differs('..%2f out of the location', get('/public/..%2fsecret'), ['error-body']),
    same('.. from one location into another', get('/public/..%2Fraw/x?y')),
    same('without a URI part the request-target passes unchanged', get('/raw/a/../b//c?%2e')),
    differs('above the root: 400', get('/public/../../x'), ['error-body']),
    differs('a bad escape: 400', get('/public/%zz'), ['error-body']),
    differs('an encoded NUL: 400', get('/public/a%00b'), ['error-body']),
    same('an exact location with a URI part', get('/exact?q=1')),
    same('the fragment is not part of the path', get('/public/a#frag')),
    same('an absolute-form request-target', get('http://other.example/public/x?y')),
    differs('two Host headers: 400', get('/public/x', { headers: [['Host', 'evil.example']] }), ['error-body']),
    differs('Host with an empty label: 400', get('/public/x', { host: 'a..b' }), ['error-body']),
    differs('Host with a slash: 400', get('/public/x', { host: 'a/b' }), ['error-body']),
    differs('an empty Host: 400', get('/public/x', { host: '' }), ['error-body']),
    same('a Host with a port and a trailing dot', get('/public/x', { host: 'LocalHost.:8080' })),
    same('HTTP/1.0 without a Host', get('/public/x', { host: null, version: '1.0' })),
  ],
});
