import { differential, get, request, same } from '../../helpers/differential.js';
import type { BackendAnswer } from '../../helpers/recording-backend.js';

/**
 * proxy_redirect: what a backend's Location and Refresh naming the upstream become for the client, with nginx's
 * implicit `default`, `off`, prefix rules with variables, regex rules with captures, and inheritance.
 */
const redirect = (location: string, status = 302, extra: Array<[string, string]> = []): BackendAnswer => ({
  status, headers: [['Location', location], ['Content-Type', 'text/plain'], ...extra], body: 'moved\n',
});

differential({
  name: 'proxying: proxy_redirect',
  http: `
    upstream app { server {b0} max_fails=0; }
    server {
      listen {listen};
      location / { proxy_pass http://app; }
      location /mapped/ { proxy_pass http://app/inner/; }
      location /off/ { proxy_redirect off; proxy_pass http://app; }
      location /rules/ {
        proxy_pass http://app;
        proxy_redirect http://app/old/ /new/;
        proxy_redirect http://$host:{port}/self/ http://$host/other/;
        proxy_redirect ~*^https?://INTERNAL\\.example/(.*)$ /ext/$1;
        location /rules/nested/ { proxy_pass http://app; }
      }
      location /explicit-default/ { proxy_pass http://app/x/; proxy_redirect default; proxy_redirect http://elsewhere/ /e/; }
    }`,
  cases: [
    same('default: the upstream name becomes the client-facing origin', get('/a'), { answer: redirect('http://app/landing?x=1') }),
    same('default keeps a Location that names another host', get('/a'), { answer: redirect('http://other.example/landing') }),
    same('default leaves a relative Location relative', get('/a'), { answer: redirect('/relative/path') }),
    same('default matches case-sensitively', get('/a'), { answer: redirect('http://APP/landing') }),
    same('default with a URI part maps the proxy_pass URI back to the location', get('/mapped/a'), { answer: redirect('http://app/inner/deeper') }),
    same('a 201 Location is rewritten too', request('POST /a', { body: 'x' }), { answer: redirect('http://app/items/7', 201) }),
    same('the port of the client’s Host is the listener’s, not the Host header’s', get('/a', { host: 'Example.COM:8080' }), { answer: redirect('http://app/p') }),
    same('Refresh with url= is rewritten (not made absolute)', get('/a'), { answer: redirect('http://other/', 200, [['Refresh', '5; URL=http://app/next']]) }),
    same('Refresh without url= is left alone', get('/a'), { answer: redirect('http://other/', 200, [['Refresh', '5']]) }),
    same('off passes Location unchanged', get('/off/a'), { answer: redirect('http://app/landing') }),
    same('a prefix rule', get('/rules/a'), { answer: redirect('http://app/old/page') }),
    same('explicit rules replace the default', get('/rules/a'), { answer: redirect('http://app/landing') }),
    same('variables in FROM and TO', get('/rules/a', { host: 'Site.example:{port}' }), { answer: redirect('http://site.example:{port}/self/x') }),
    same('a caseless regex rule with a capture', get('/rules/a'), { answer: redirect('HTTP://internal.example/deep/path?q') }),
    same('a nested location inherits the rules', get('/rules/nested/a'), { answer: redirect('http://app/old/page') }),
    same('proxy_redirect default next to another rule', get('/explicit-default/a'), { answer: redirect('http://app/x/y') }),
    same('the other rule of that location', get('/explicit-default/a'), { answer: redirect('http://elsewhere/z') }),
    same('HTTP/1.0 without a Host: the listener address', get('/a', { host: null, version: '1.0' }), { answer: redirect('http://app/landing') }),
    same('two Location fields are each rewritten', get('/a'), { answer: redirect('http://app/one', 302, [['Location', 'http://app/two']]) }),
  ],
});
