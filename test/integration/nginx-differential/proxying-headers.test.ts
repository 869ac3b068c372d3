import { differential, differs, get, request, same } from '../../helpers/differential.js';
import type { BackendAnswer } from '../../helpers/recording-backend.js';

/**
 * What the backend is sent (proxy_set_header, inheritance, header names nginx drops) and what the client gets back
 * (add_header with and without `always`, proxy_hide_header, proxy_pass_header, the headers nginx hides by default).
 */
const withHeaders = (status: number, headers: Array<[string, string]>): BackendAnswer => ({ status, headers: [['Content-Type', 'text/plain'], ...headers], body: 'hi\n' });
const ACCEL: Array<[string, string]> = [
  ['X-Pad', 'avoid browser bug'], ['X-Accel-Expires', '10'], ['X-Accel-Limit-Rate', '100'], ['X-Accel-Buffering', 'no'],
  ['X-Accel-Charset', 'utf-8'], ['X-Powered-By', 'app'], ['X-Secret', 's3'], ['X-Internal', 'i'],
];

differential({
  name: 'proxying: request and response headers',
  http: `
    upstream app { server {b0} max_fails=0; }
    proxy_set_header X-From-Http http;
    add_header X-Http-Level http;
    server {
      listen {listen};
      location / { proxy_pass http://app; }
      location /twice/ { proxy_set_header X-Twice one; proxy_set_header X-Twice two; proxy_pass http://app; }
      location /override/ { proxy_set_header X-Client "set by the proxy"; proxy_pass http://app; }
      location /empty/ { proxy_set_header X-Client ""; proxy_set_header Accept ""; proxy_pass http://app; }
      location /no-host/ { proxy_set_header Host ""; proxy_pass http://app; }
      location /vars/ { proxy_set_header X-Host $host; proxy_set_header X-Uri $request_uri; proxy_set_header X-Agent $http_user_agent; proxy_pass http://app; }
      location /inherit/ {
        proxy_pass http://app;
        location /inherit/own/ { proxy_set_header X-Own own; proxy_pass http://app; }
      }
      location /add/ { add_header X-Added one; add_header X-Added two; add_header X-Always yes always; add_header X-Empty ""; proxy_pass http://app; }
      location /add-dead/ { add_header X-Added one; add_header X-Always yes always; proxy_pass http://{dead}; }
      location /add-replace/ { add_header ETag '"gw"'; add_header Cache-Control no-cache; proxy_pass http://app; }
      location /hide/ { proxy_hide_header X-Secret; proxy_hide_header x-internal; proxy_pass http://app; }
      location /pass/ { proxy_pass_header X-Accel-Expires; proxy_pass_header X-Pad; proxy_pass http://app; }
      location /hide-inherit/ { proxy_hide_header X-Secret; proxy_pass http://app;
        location /hide-inherit/more/ { proxy_hide_header X-Internal; proxy_pass http://app; } }
    }
    server {
      listen {listen2};
      underscores_in_headers on;
      add_header X-Server-Level s always;
      location /app/ { proxy_pass http://app; }
    }`,
  cases: [
    same('proxy_set_header at the http level reaches the backend', get('/x')),
    same('the same header set twice is sent twice', get('/twice/x')),
    same("proxy_set_header replaces the client's field of that name", get('/override/x', { headers: { 'X-Client': 'from the client' } })),
    same('an empty value sends the field not at all', get('/empty/x', { headers: { 'X-Client': 'c', Accept: 'text/html' } })),
    differs('proxy_set_header Host "" removes Host', get('/no-host/x'), ['empty-host']),
    same('variables in proxy_set_header', get('/vars/x?a=1', { headers: { 'User-Agent': 'differential/1' } })),
    same('a location without proxy_set_header inherits the outer list', get('/inherit/x')),
    same('a location with its own proxy_set_header replaces the inherited list', get('/inherit/own/x')),
    same('a header name with an underscore is dropped (underscores_in_headers off)', get('/x', { headers: { X_Auth_User: 'admin', 'X-Auth-User': 'real' } })),
    same('underscores_in_headers on passes it', get('/app/x', { headers: { X_Auth_User: 'admin' } }), { port: 'port2' }),
    differs("the server level's add_header always on the 404 for a path no location takes", get('/nowhere'), ['error-body'], { port: 'port2' }),
    same('a header name with a dot is an invalid header: dropped', get('/x', { headers: { 'X.Dotted': 'd' } })),
    same('add_header on a 200, inherited from http when the location has none', get('/x')),
    same('add_header twice adds twice; an empty value adds nothing', get('/add/x')),
    same('add_header without always is not added to a 404', get('/add/x'), { answer: withHeaders(404, []) }),
    same('add_header on a 3xx', get('/add/x'), { answer: withHeaders(302, [['Location', '/elsewhere']]) }),
    same('add_header on a 500 only with always', get('/add/x'), { answer: withHeaders(500, []) }),
    same("add_header adds to the backend's field of the same name", get('/add/x'), { answer: withHeaders(200, [['X-Added', 'backend']]) }),
    same("add_header ETag replaces the backend's, Cache-Control adds", get('/add-replace/x'), { answer: withHeaders(200, [['ETag', '"b"'], ['Cache-Control', 'max-age=5']]) }),
    same('nginx hides X-Pad and X-Accel-* by default', get('/x'), { answer: withHeaders(200, ACCEL) }),
    same('proxy_hide_header hides more (any case)', get('/hide/x'), { answer: withHeaders(200, ACCEL) }),
    same('proxy_pass_header lets a default-hidden header through', get('/pass/x'), { answer: withHeaders(200, ACCEL) }),
    same('a level with proxy_hide_header replaces the inherited list', get('/hide-inherit/more/x'), { answer: withHeaders(200, ACCEL) }),
    differs('add_header always on an answer the proxy makes itself (502)', get('/add-dead/x'), ['error-body']),
    same('a POST with proxy_set_header', request('POST /override/x', { body: 'a=1', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } })),
  ],
});
