// An ESM Express app that exercises express-session's API through session-gateway/express, one route per method.
import express from 'express';
import { gatewaySession } from 'session-gateway/express';

const app = express();
app.use(express.json());
app.use(gatewaySession({ principal: 'user' }));

app.post('/login', (req, res) => req.session.regenerate(() => {
  req.session.user = req.body.user;
  res.json({ id: req.session.id });
}));

app.post('/types', (req, res) => {
  Object.assign(req.session, { num: 1.5, int: 7, yes: true, nothing: null, nested: { list: [1, 'two', { three: 3 }] }, when: new Date(Date.UTC(2026, 0, 2)), text: 'Zoë ✓ 日本' });
  delete req.session.old;
  res.status(204).end();
});

app.get('/all', (req, res) => res.json({ session: JSON.parse(JSON.stringify(req.session)), id: req.session.id, sessionID: req.sessionID }));

app.post('/save-reload', (req, res) => {
  req.session.saved = 'before';
  req.session.save((err) => {
    if (err) throw err;
    req.session.saved = 'unsaved change';
    const before = req.session;
    req.session.reload(() => res.json({ saved: req.session.saved, sameObject: before === req.session }));
  });
});

app.post('/regenerate-anonymous', (req, res) => {
  req.session.regenerate(() => {
    req.session.fresh = true;
    res.json({ keys: Object.keys(req.session) });
  });
});

app.post('/destroy', (req, res) => req.session.destroy(() => res.json({ gone: req.session === undefined })));

app.get('/cookie', (req, res) => {
  const before = req.session.cookie.maxAge;
  req.session.cookie.maxAge = 1000;
  const touched = req.session.touch() === req.session;
  res.json({ before, after: req.session.cookie.maxAge, originalMaxAge: req.session.cookie.originalMaxAge, expires: req.session.cookie.expires, httpOnly: req.session.cookie.httpOnly, touched });
});

app.get('/late-save', (req, res) => {
  res.write('head sent;');
  req.session.late = true;
  req.session.save((err) => res.end(err ? err.code : 'saved'));
});

app.post('/circular', (req, res) => {
  req.session.fine = 'kept?';
  req.session.loop = {};
  req.session.loop.self = req.session.loop;
  res.json({ answered: true });
});

app.get('/healthz', (req, res) => res.send('ok'));

const server = app.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
