import { differential, differs, get, request, same } from '../../helpers/differential.js';

/**
 * Which location a request reaches — exact, longest prefix, `^~`, regexes in config order, nested locations — with
 * the regex captures it leaves in `$1…` and named variables, and nginx's trailing-slash 301 for a proxying location.
 * Each location names itself to the backend (X-Loc), so a wrong choice shows as a different header.
 */
const to = (name: string, extra = '') => `proxy_set_header X-Loc ${name}; ${extra} proxy_pass http://app;`;

differential({
  name: 'location selection, regex captures and the trailing-slash redirect',
  http: `
    upstream app { server {b0}; }
    server {
      listen {listen};
      server_name routes.test;
      location / { ${to('root')} }
      location = /exact { ${to('exact')} }
      location /images/ { ${to('images-prefix')} }
      location ^~ /static/ { ${to('static-noregex')} }
      location ~ ^/users/(\\d+)/(?<section>[a-z]+) { ${to('user', 'proxy_set_header X-Cap "$1|$2|$section";')} }
      location ~* \\.(png|jpe?g)$ { ${to('image-regex', 'proxy_set_header X-Cap "$1";')} }
      location ~ \\.png$ { ${to('second-regex')} }
      location /docs/ { ${to('docs')}
        location ~ \\.pdf$ { ${to('docs-pdf')} }
        location /docs/old/ { ${to('docs-old')} }
        location ^~ /docs/frozen/ { ${to('docs-frozen')} }
      }
      location ~ ^/nested-re/ { ${to('outer-regex')}
        location ~ /deep/(\\w+)$ { ${to('inner-regex', 'proxy_set_header X-Cap "$1";')} }
      }
      location /api/ { ${to('api')} }
      location ^~ /app/ { ${to('app')} }
      location = /one/ { ${to('one-exact')} }
      location /both/ { ${to('both-slash')} }
      location /both { ${to('both-bare')} }
      location "/sp ace/" { ${to('space')} }
      location /plain/ { }
      location /big-denied/ { deny all; client_max_body_size 1; ${to('big-denied')} }
      location /big-return { client_max_body_size 1; return 200 "returned"; }
      location /big-redirect/ { client_max_body_size 1; ${to('big-redirect')} }
      location /internal-return { internal; return 200 "returned"; }
      location /internal-redirect/ { internal; ${to('internal-redirect')} }
      location /relative/ { absolute_redirect off; ${to('relative')} }
      location /no-port/ { port_in_redirect off; ${to('no-port')} }
      location /by-name/ { server_name_in_redirect on; ${to('by-name')} }
    }`,
  cases: [
    same('an exact location', get('/exact')),
    same('an exact location is not a prefix', get('/exact/more')),
    same('a regex beats the longest prefix', get('/images/logo.png')),
    same('the longest prefix when no regex matches', get('/images/logo.gif')),
    same('^~ stops the regexes', get('/static/logo.png')),
    same('numbered and named captures', get('/users/42/profile/edit')),
    same('~* is caseless; its capture', get('/photos/Cat.JPG')),
    same('the first matching regex in config order wins', get('/x/y.png')),
    same('a regex nested in a prefix', get('/docs/manual.pdf')),
    same('a nested prefix', get('/docs/old/a.html')),
    same('a nested prefix does not stop the nested regex', get('/docs/old/a.pdf')),
    same('a nested ^~ stops only the nested regexes: the server level ones still run', get('/docs/frozen/a.png')),
    same('a nested ^~ without a server level regex', get('/docs/frozen/a.pdf')),
    same('a regex nested in a regex, with its capture', get('/nested-re/deep/leaf')),
    same('the outer regex when the nested one does not match', get('/nested-re/x')),
    same('regexes see the normalised $uri', get('/users/7/../8/%61bout')),
    same('the location with its slash', get('/api/x')),
    differs('/api gets a 301 to /api/', get('/api'), ['page-signature']),
    differs('the 301 keeps the query', get('/api?x=1&y'), ['page-signature']),
    differs('the 301 names the Host, lower case, and the listening port', get('/api', { host: 'Routes.TEST:8443' }), ['page-signature']),
    differs('the 301 without a Host names the server address', get('/api', { host: null, version: '1.0' }), ['page-signature']),
    differs('the 301 of a HEAD', request('HEAD /api'), ['page-signature']),
    differs('a ^~ location redirects too', get('/app?q'), ['page-signature']),
    differs('an exact location redirects too', get('/one'), ['page-signature']),
    same('no 301 when a location has the name without the slash', get('/both')),
    differs('the 301 escapes the location name as nginx does', get('/sp%20ace'), ['page-signature']),
    same('no 301 for a location that does not proxy', get('/plain')),
    same('no 301 for a longer name', get('/apis')),
    differs('a body over client_max_body_size is a 413 before deny', request('POST /big-denied/x', { body: '0123456789' }), ['error-body']),
    differs('... before return', request('POST /big-return', { body: '0123456789' }), ['error-body']),
    differs('... before the trailing-slash 301', request('POST /big-redirect', { body: '0123456789' }), ['error-body']),
    differs('an internal location is a 404 before its return', get('/internal-return'), ['error-body']),
    differs('... and before the trailing-slash 301', get('/internal-redirect'), ['error-body']),
    differs('absolute_redirect off: the Location stays relative', get('/relative?a=1'), ['page-signature']),
    differs('port_in_redirect off', get('/no-port'), ['page-signature']),
    same('absolute_redirect off keeps a backend Location proxy_redirect made relative', get('/relative/x'), { answer: { status: 302, headers: [['Location', 'http://app/relative/y'], ['Content-Length', '0']], body: '' } }),
    same('port_in_redirect off for a backend Location', get('/no-port/x'), { answer: { status: 302, headers: [['Location', 'http://app/no-port/y'], ['Content-Length', '0']], body: '' } }),
    differs('server_name_in_redirect on: $server_name, not the Host', get('/by-name', { host: 'other.test' }), ['page-signature']),
  ],
});
