import { differential, differs, get, request, same } from '../../helpers/differential.js';

/**
 * nginx's variables, as a backend sees them in proxy_set_header and a client in `return`, and `return` itself:
 * codes, texts, redirects with nginx's Location, its place before the access phase, and a server-level `return`.
 * ($remote_port and $request_id differ per connection and per request: test/integration/gateway/request-variables.)
 */
const VARS = [
  'host=$host', 'http_host=$http_host', 'port=$server_port', 'addr=$server_addr', 'sn=$server_name', 'uri=$uri', 'du=$document_uri',
  'args=$args', 'qs=$query_string', 'is=$is_args', 'a=$arg_a', 'A=$arg_A', 'c=$cookie_sid', 'C=$cookie_SID', 'm=$request_method',
  'ru=$request_uri', 'sch=$scheme', 'multi=$http_x_multi', 'ct=$content_type', 'cl=$content_length', 'ck=$http_cookie',
  'xff=$http_x_forwarded_for', 'proto=$server_protocol', 'ph=$proxy_host', 'set=$greeting', 'brace=${uri}x', 'cap=$1',
].join(' ');

const WS = { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13' };

differential({
  name: 'variables and return',
  http: `
    upstream app { server {b0}; }
    server {
      listen {listen};
      server_name Vars.Example;
      set $greeting "hello $host";
      location / { proxy_set_header X-Vars "${VARS}"; proxy_set_header Host $host:$server_port; proxy_pass http://app; }
      location /ret/text { return 200 "${VARS}\\n"; }
      location /ret/created { return 201 "made $arg_id"; }
      location /ret/page { return 404; }
      location /ret/gone { return 410; }
      location /ret/empty { return 200; }
      location /ret/nocontent { return 204 "ignored"; }
      location /ret/unknown { return 418 teapot; }
      location /ret/unknown-empty { return 499; }
      location /ret/teapot { return 418; }
      location /ret/error { return 500 "oops"; }
      location /ret/html.html { return 200 "<b>by extension</b>"; }
      location /ret/typed { default_type application/json; return 200 '{"ok":true}'; }
      location /ret/moved { return 301 /new$uri?from=$arg_from; }
      location /ret/found { return 302 http://elsewhere.example/x; }
      location /ret/see-other { return 303 $scheme://$host:$server_port/other; }
      location /ret/temporary { return 307 /t; }
      location /ret/permanent { return 308 /p; }
      location /ret/relative { absolute_redirect off; return 302 /r?$args; }
      location /ret/url { return https://secure.example$request_uri; }
      location /ret/bare-redirect { return 302; }
      location /ret/denied { deny all; return 200 "return runs before access\\n"; }
      location /ret/first { return 200 first; return 200 second; }
      location /ret/set { set $who "$arg_name!"; return 200 "$who $greeting"; }
      location /ret/sets/ { set $outer o; location /ret/sets/in/ { return 200 "[$outer] [$greeting]"; } return 200 "[$outer]"; }
      location /ret/self { set $greeting "$greeting+x"; set $greeting "\${greeting}y"; return 200 "$greeting"; }
      location ~ ^/ret/re/(\\w+)$ { return 200 "captured $1"; }
      location /ret/ { return 200 "prefix"; location /ret/nested/ { proxy_pass http://app; } }
    }
    server {
      listen {listen2};
      return 301 https://$host$request_uri;
      location / { proxy_pass http://app; }
    }`,
  cases: [
    same('the variables a backend sees', get('/a/../b%20c?a=1&A=2&a=3', { host: 'Foo.Bar:81', headers: { Cookie: 'SID=up; sid=low', 'X-Multi': 'one' } })),
    same('the variables of an absolute-form request', get('http://Abs.Example:9/p?x', { host: 'other', headers: { 'Content-Type': 'text/x' } })),
    same('the variables of HTTP/1.0 without Host', get('/p?', { host: null, version: '1.0' })),
    same('fields sent twice, a body, in a return text', request('POST /ret/text?a=b', {
      body: 'x=1', headers: [['Cookie', 'SID=up; sid=low'], ['Cookie', 'x=1'], ['X-Multi', 'one'], ['X-Multi', 'two'], ['X-Forwarded-For', '1.1.1.1'], ['X-Forwarded-For', '2.2.2.2'], ['Content-Type', 'text/plain']],
    })),
    same('the variables in a return text', get('/ret/text?a=b', { headers: { Cookie: 'sid=s1' } })),
    same('return 201 with text', get('/ret/created?id=7')),
    differs('return 404: the page', get('/ret/page'), ['page-signature']),
    differs('return 410: the page', get('/ret/gone'), ['page-signature']),
    same('return 200 without text', get('/ret/empty')),
    same('return 204 sends no body', get('/ret/nocontent')),
    same('a code nginx has no reason for', get('/ret/unknown')),
    same('return 499 closes the connection, as 444 does', get('/ret/unknown-empty')),
    same('return 418 without text', get('/ret/teapot')),
    same('return 500 with text', get('/ret/error')),
    same('a text gets its type from the extension', get('/ret/html.html')),
    same('default_type', get('/ret/typed')),
    same('a HEAD gets the head only', request('HEAD /ret/error')),
    differs('return 301 with a relative URL', get('/ret/moved?from=home', { host: 'Vars.Example:80' }), ['page-signature']),
    differs('return 302 with an absolute URL', get('/ret/found'), ['page-signature']),
    differs('return 303 with variables', get('/ret/see-other'), ['page-signature']),
    differs('return 307', get('/ret/temporary'), ['page-signature']),
    differs('return 308', get('/ret/permanent'), ['page-signature']),
    differs('return with absolute_redirect off', get('/ret/relative?k=v'), ['page-signature']),
    differs('return URL is a 302', get('/ret/url?q=1'), ['page-signature']),
    differs('return 302 without a URL', get('/ret/bare-redirect'), ['page-signature']),
    same('return runs before deny', get('/ret/denied')),
    same('the first return wins', get('/ret/first')),
    same('set, then return', get('/ret/set?name=ann')),
    same('a nested location does not run the outer one\'s set', get('/ret/sets/in/')),
    same('the outer location runs its own', get('/ret/sets/')),
    same('a set sees the value before it', get('/ret/self')),
    same('a regex capture in return', get('/ret/re/word')),
    same('return is not inherited by a nested location', get('/ret/nested/x')),
    differs('a server-level return answers before any location', get('/x?y=1', { host: 'site.example' }), ['page-signature'], { port: 'port2' }),
    differs('a server-level return answers a WebSocket upgrade too', get('/ws', { host: 'site.example', headers: WS }), ['page-signature'], { port: 'port2' }),
    same('a location return answers a WebSocket upgrade', get('/ret/error', { headers: WS })),
  ],
});
