import { differential, differs, get, request, same } from '../../helpers/differential.js';

/**
 * A request field sent on two lines reaches the backend as nginx passes it: both lines, in order, not joined with ", "
 * (and not cut to the first, as Node's req.headers does for User-Agent or Content-Type); `proxy_set_header` of a
 * name the client sent twice replaces both.
 */
const twice = (name: string, a: string, b: string): Array<[string, string]> => [[name, a], ['X-Between', 'x'], [name, b]];

differential({
  name: 'proxying: a request header sent twice',
  http: `
    upstream app { server {b0} max_fails=0; }
    server {
      listen {listen};
      location / { proxy_pass http://app; }
      location /set/ { proxy_set_header X-Custom "set by the proxy"; proxy_pass http://app; }
      location /xff/ { proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; proxy_pass http://app; }
      location /var/ { proxy_set_header X-Seen "[$http_x_custom]"; proxy_pass http://app; }
      location /host-twice/ { proxy_set_header Host first.test; proxy_set_header Host second.test; proxy_pass http://app; }
    }`,
  cases: [
    same('an unknown field sent twice is passed as two lines', get('/x', { headers: twice('X-Custom', 'one', 'two') })),
    same('Accept sent twice is passed as two lines', get('/x', { headers: twice('Accept', 'text/html', 'application/json') })),
    same('Cookie sent twice is passed as two lines', get('/x', { headers: twice('Cookie', 'a=1', 'b=2') })),
    same('User-Agent sent twice is passed as two lines', get('/x', { headers: twice('User-Agent', 'first/1', 'second/2') })),
    same('Referer sent twice is passed as two lines', get('/x', { headers: twice('Referer', 'http://a.test/', 'http://b.test/') })),
    same('Content-Type sent twice on a POST is passed as two lines', request('POST /x', { body: 'a=1', headers: twice('Content-Type', 'text/plain', 'application/x-www-form-urlencoded') })),
    same('a field sent three times, with an empty line among them', get('/x', { headers: [['X-Custom', 'a'], ['X-Custom', ''], ['X-Custom', 'c']] })),
    same('proxy_set_header of a name sent twice replaces both lines', get('/set/x', { headers: twice('X-Custom', 'one', 'two') })),
    same('$proxy_add_x_forwarded_for joins two X-Forwarded-For lines', get('/xff/x', { headers: twice('X-Forwarded-For', '203.0.113.1', '203.0.113.2') })),
    same('$http_NAME of a field sent twice', get('/var/x', { headers: twice('X-Custom', 'one', 'two') })),
    differs('proxy_set_header Host written twice: nginx sends two Host lines, the gateway the first', get('/host-twice/x'), ['host-twice']),
  ],
});
