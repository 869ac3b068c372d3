import { differential, differs, get, request, same } from '../../helpers/differential.js';

/**
 * allow/deny, auth_basic with every hash kind the gateway verifies, limit_except, internal and satisfy: nginx itself
 * says what each request gets. The hashes of "sécret pass" were made by libxcrypt (bcrypt, SHA-512-crypt with
 * rounds) and `openssl passwd` (-apr1, -1, -5); nginx verifies them with the same crypt(3).
 */
const USERS = [
  'bcrypt:$2y$05$abcdefghijklmnopqrstuuIKm9t90uByc85ZP3lLy/TLuFWckpMjq',
  'bcrypt10:$2b$10$abcdefghijklmnopqrstuujnG37r2.mHJx5zybORZg4.wvzjRSktK',
  'apr1:$apr1$saltsalt$AvsCmDMoG0SnIaLpX54vy0',
  'md5:$1$s1s1s1s1$YAxxJEBHFEQiM1T0jugRE0',
  'sha256:$5$s5s5s5s5$yl6Ko0vj.8HXsGaMwDgpRRTeJrKAykaBnddwqFqQ29.',
  'sha512:$6$rounds=6000$s6s6s6s6$LRjrVtbHmARByqz0GBVjIxUmaGFjkToQgDC6PUhUyQ11/3BQv/Chkaxn73BbU8yZYjFrPeIuiz84naNe9u1Fg0',
  'sha:{SHA}70QCi8RF0Slo71PshBP5IXr7vAU=:a comment after the hash',
  'ssha:{SSHA}Le2VCBL4SyoflaRj2BELVayFz3VOYUNsNA==',
  '# a comment line',
  'plain:{PLAIN}open sesame\r',
].join('\n');
const PASSWORD = 'sécret pass';
const basic = (user: string, password: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
const AUTH = 'auth_basic_user_file {files}/users;';

differential({
  name: 'access control',
  files: { users: `${USERS}\n` },
  http: `
    upstream app { server {b0}; }
    server {
      listen {listen};
      location / { proxy_pass http://app; }
      location /denied/ { deny all; proxy_pass http://app; }
      location /local/ { allow 127.0.0.1; deny all; proxy_pass http://app; }
      location /v6-only/ { allow ::1; deny all; proxy_pass http://app; }
      location /v4-rules-only/ { deny 10.0.0.0/8; proxy_pass http://app; }
      location /lan/ { allow 10.0.0.0/8; allow 2001:db8::/32; deny all; proxy_pass http://app;
        location /lan/open/ { allow 127.0.0.0/24; proxy_pass http://app; }
        location /lan/inherited/ { proxy_pass http://app; } }
      location /staff/ { auth_basic "Staff area"; ${AUTH} auth_delay 20ms; proxy_pass http://app; }
      location /staff/public/ { auth_basic off; proxy_pass http://app; }
      location /edit/ { limit_except GET { deny all; } proxy_pass http://app; }
      location /write/ { ${AUTH} limit_except GET OPTIONS { auth_basic "Writers"; } proxy_pass http://app; }
      location /internal/ { internal; proxy_pass http://app; }
      location /either/ { satisfy any; allow 10.0.0.0/8; deny all; auth_basic "Either"; ${AUTH} proxy_pass http://app; }
      location /either-local/ { satisfy any; allow 127.0.0.1; deny all; auth_basic "Either"; ${AUTH} proxy_pass http://app; }
      location /both/ { allow 127.0.0.1; deny all; auth_basic "Both"; ${AUTH} proxy_pass http://app; }
      location /both-denied/ { deny all; auth_basic "Both"; ${AUTH} proxy_pass http://app; }
    }`,
  cases: [
    same('no rule: open', get('/x')),
    differs('deny all: 403', get('/denied/x'), ['error-body']),
    same('an allowed address', get('/local/x')),
    differs('an IPv6 rule says nothing to an IPv4 client; deny all does', get('/v6-only/x'), ['error-body']),
    same('no rule of the client family matched: open', get('/v4-rules-only/x')),
    differs('an address outside the allowed networks', get('/lan/x'), ['error-body']),
    same('a nested location with its own rules replaces the list', get('/lan/open/x')),
    differs('a nested location without rules inherits them', get('/lan/inherited/x'), ['error-body']),
    differs('X-Forwarded-For and X-Real-IP do not change the address', get('/lan/x', { headers: { 'X-Forwarded-For': '10.1.2.3', 'X-Real-IP': '10.1.2.3' } }), ['error-body']),
    differs('auth_basic asks for credentials with the realm', get('/staff/'), ['error-body']),
    ...['bcrypt', 'bcrypt10', 'apr1', 'md5', 'sha256', 'sha512', 'sha', 'ssha'].map((user) => same(`a ${user} entry`, get('/staff/x', { headers: basic(user, PASSWORD) }))),
    same('a {PLAIN} entry on a CRLF line', get('/staff/x', { headers: basic('plain', 'open sesame') })),
    differs('a wrong password', get('/staff/x', { headers: basic('apr1', 'sécret pasS') }), ['error-body']),
    differs('an unknown user', get('/staff/x', { headers: basic('mallory', PASSWORD) }), ['error-body']),
    differs('an empty user name', get('/staff/x', { headers: basic('', PASSWORD) }), ['error-body']),
    differs('another scheme', get('/staff/x', { headers: { Authorization: 'Bearer abc' } }), ['error-body']),
    differs('not base64', get('/staff/x', { headers: { Authorization: 'Basic !!!' } }), ['error-body']),
    same('the scheme in lower case, extra spaces', get('/staff/x', { headers: { Authorization: `basic   ${Buffer.from('sha:sécret pass').toString('base64')}` } })),
    same('auth_basic off in a nested location', get('/staff/public/x')),
    same('limit_except GET: GET passes', get('/edit/x')),
    same('limit_except GET: HEAD passes too', request('HEAD /edit/x')),
    differs('limit_except GET: POST gets the block rules', request('POST /edit/x', { body: 'a=1' }), ['error-body']),
    differs('limit_except GET: DELETE too', request('DELETE /edit/x'), ['error-body']),
    same('limit_except GET OPTIONS: OPTIONS passes', request('OPTIONS /write/x')),
    differs('limit_except with auth_basic: PUT asks', request('PUT /write/x', { body: 'v' }), ['error-body']),
    same('limit_except with auth_basic: PUT with credentials', request('PUT /write/x', { body: 'v', headers: basic('md5', PASSWORD) })),
    differs('internal: 404 for a client', get('/internal/x'), ['error-body']),
    differs('satisfy any: a denied address is asked for credentials', get('/either/x'), ['error-body']),
    same('satisfy any: credentials admit a denied address', get('/either/x', { headers: basic('sha512', PASSWORD) })),
    differs('satisfy any: wrong credentials', get('/either/x', { headers: basic('sha512', 'nope') }), ['error-body']),
    same('satisfy any: an allowed address needs no credentials', get('/either-local/x')),
    same('satisfy any: an allowed address with wrong credentials', get('/either-local/x', { headers: basic('sha512', 'nope') })),
    differs('satisfy all: an allowed address is still asked', get('/both/x'), ['error-body']),
    same('satisfy all: an allowed address with credentials', get('/both/x', { headers: basic('bcrypt', PASSWORD) })),
    differs('satisfy all: a denied address is refused before credentials', get('/both-denied/x', { headers: basic('bcrypt', PASSWORD) }), ['error-body']),
  ],
});
