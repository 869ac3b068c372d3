// An Express app written the ordinary way — login with regenerate, a counter, an autosaved draft, logout — behind
// session-gateway. The one line that differs from the same app on express-session is marked. Works with Express 4
// and 5. Run it with SESSION_SECRET (or SESSION_HEADER_SECRET) set to the gateway's:
//   PORT=8093 node examples/express-app/app.cjs
'use strict';
const express = require('express');
const { gatewaySession } = require('session-gateway/express');

const app = express();
const backend = process.env.APP_NAME ?? 'express';
app.use(express.json());
// Before: app.use(session({ secret: '...', resave: false, saveUninitialized: false }))
app.use(gatewaySession({ principal: 'user.id' }));
app.use((req, res, next) => {
  res.set('X-Backend', backend);
  next();
});

app.post('/api/login', (req, res, next) => {
  const name = req.body?.user;
  if (typeof name !== 'string' || name === '') return res.status(400).json({ error: 'user required' });
  // Session-fixation defence, as express-session's README does it: a fresh session, then the user, then save.
  req.session.regenerate((err) => {
    if (err) return next(err);
    req.session.user = { id: name, name };
    req.session.save((err2) => (err2 ? next(err2) : res.json({ principal: name })));
  });
});

app.post('/api/logout', (req, res, next) => {
  req.session.destroy((err) => (err ? next(err) : res.json({ ok: true })));
});

app.post('/api/counter', (req, res) => {
  req.session.counter = (req.session.counter ?? 0) + 1;
  res.json({ counter: req.session.counter });
});

app.put('/api/draft', (req, res) => {
  req.session.draft = req.body?.text ?? '';
  res.status(204).end();
});

app.get('/api/whoami', (req, res) => {
  res.json({
    backend, pid: process.pid, principal: req.session.user?.id ?? null, counter: req.session.counter ?? 0,
    draft: req.session.draft ?? '', sessionId: req.session.id, maxAge: req.session.cookie.maxAge,
  });
});

app.get('/healthz', (req, res) => res.send('ok'));

const server = app.listen(Number(process.env.PORT ?? 8093), '127.0.0.1');
// A rolling restart sends SIGTERM once the gateway has drained this node: finish what is in flight, then exit.
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
