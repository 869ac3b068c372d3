// A Connect app (no Express): the session works on plain Node request/response objects.
'use strict';
const http = require('node:http');
const connect = require('connect');
const { gatewaySession } = require('session-gateway/express');

const app = connect();
app.use(gatewaySession({ principal: 'user.id' }));
app.use('/login', (req, res) => req.session.regenerate(() => {
  req.session.user = { id: 'connect-user' };
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ ok: true }));
}));
// A non-ASCII principal, answered with a string body: Node then writes the head as UTF-8 along with it.
app.use('/login-intl', (req, res) => req.session.regenerate(() => {
  req.session.user = { id: 'zoë-日本' };
  res.end('ok');
}));
app.use('/healthz', (req, res) => res.end('ok'));
app.use('/', (req, res) => {
  req.session.visits = (req.session.visits ?? 0) + 1;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ visits: req.session.visits, principal: req.session.user?.id ?? null }));
});

const server = http.createServer(app).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
