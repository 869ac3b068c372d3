import { hostname } from 'node:os';
import { differential, differs, get, same } from '../../helpers/differential.js';

/**
 * Which server block a request reaches, among several on one address: nginx's order (exact name, longest leading
 * wildcard, longest trailing wildcard, first regex) and its default server. Each block tells the backend who it is
 * (and what $server_name, $host and the regex captures are) in headers nginx and the gateway both set.
 */
const who = (name: string, extra = '') => `proxy_set_header X-Server ${name}; proxy_set_header X-Names "$server_name|$host|$http_host"; ${extra} location / { proxy_pass http://app; }`;

differential({
  name: 'server_name forms and default_server',
  http: `
    upstream app { server {b0}; }
    server { listen {listen}; server_name first.test; ${who('first')} }
    server { listen {listen} default_server; server_name fallback.test; ${who('default')} }
    server { listen {listen}; server_name .example.com; ${who('dot')} }
    server { listen {listen}; server_name *.b.example.com; ${who('star-b')} }
    server { listen {listen}; server_name www.example.* api.example.*; ${who('trailing')} }
    server { listen {listen}; server_name www.example.org.*; ${who('trailing-long')} }
    server { listen {listen}; server_name ~^(?<tenant>[a-z]+)\\.apps\\.test$ "~^(\\d+)-(\\d+)\\.num\\.test$";
      ${who('regex', 'proxy_set_header X-Captures "$tenant|$1|$2";')} }
    server { listen {listen}; server_name ~^WWW\\.caseless\\.test$; ${who('caseless')} }
    server { listen {listen}; server_name ~^.*\\.apps\\.test$; ${who('second-regex')} }
    server { listen {listen}; server_name ""; ${who('no-host')} }
    server { listen {listen}; server_name First.Test; ${who('duplicate')} }
    server { listen {listen}; server_name $hostname; ${who('hostname')} }
    server { listen {listen2}; server_name first.test; ${who('port2-first')} }
    server { listen {listen2}; server_name other.test; ${who('port2-other')} }`,
  cases: [
    same('an exact name', get('/', { host: 'first.test' })),
    same('an exact name, Host in capitals with a port', get('/', { host: 'FIRST.test:8080' })),
    same('a name written twice belongs to the first server', get('/', { host: 'first.test' })),
    same('an unknown Host goes to the default_server, not the first', get('/', { host: 'nobody.test' })),
    same('.example.com matches example.com itself', get('/', { host: 'example.com' })),
    same('.example.com matches a subdomain', get('/', { host: 'shop.example.com' })),
    same('the longest leading wildcard wins', get('/', { host: 'x.b.example.com' })),
    same('a leading wildcard beats a trailing one', get('/', { host: 'www.example.com' })),
    same('a trailing wildcard', get('/', { host: 'www.example.net' })),
    same('the second name of a trailing wildcard server', get('/', { host: 'api.example.co.uk' })),
    same('the longest trailing wildcard wins', get('/', { host: 'www.example.org.uk' })),
    same('a trailing wildcard needs something after its dot', get('/', { host: 'www.example' })),
    same('a regex with a named capture', get('/', { host: 'acme.apps.test' })),
    same('the second regex of a server, numbered captures', get('/', { host: '12-34.num.test' })),
    same('regexes are caseless', get('/', { host: 'www.caseless.test' })),
    same('the first matching regex wins, in config order', get('/', { host: 'acme.apps.test' })),
    same('a later regex when the first does not match', get('/', { host: 'a1.apps.test' })),
    same('HTTP/1.0 without Host goes to the server named ""', get('/', { host: null, version: '1.0' })),
    same('server_name $hostname is the machine\'s name', get('/', { host: hostname().toUpperCase() })),
    same('the absolute-form host chooses the server', get('http://shop.example.com/x', { host: 'first.test' })),
    same('the other listener: by name', get('/', { host: 'other.test' }), { port: 'port2' }),
    same('the other listener: its first server is its default', get('/', { host: 'example.com' }), { port: 'port2' }),
    differs('a Host nginx refuses is answered by the default server with 400', get('/', { host: 'a..b' }), ['error-body']),
  ],
});
