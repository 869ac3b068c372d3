import type { Scenario } from '../../gateway/loadtest/scenario.js';
import type { Reply, ResponseCheck, VirtualUser } from '../../gateway/loadtest/virtual-user.js';

const draftOf = (user: VirtualUser) => `${user.principal} draft: unsaved form input`;

/**
 * The demo app's own session workload: each user logs in with POST /api/login, then increments its counter, saves a
 * draft and reads both back. Sequential per user, so what the answers must say is exact (see `demoCheck`).
 */
export const DEMO_SCENARIO: Scenario = {
  login: { name: 'login', method: 'POST', path: '/api/login', headers: { 'content-type': 'application/json' }, body: '{"user":"{user}"}', weight: 1, expect: [200], cookieMayChange: true },
  requests: [
    { name: 'counter', method: 'POST', path: '/api/counter', headers: {}, body: null, weight: 2, expect: [200], cookieMayChange: false },
    { name: 'draft', method: 'PUT', path: '/api/draft', headers: { 'content-type': 'application/json' }, body: '{"text":"{user} draft: unsaved form input"}', weight: 1, expect: [200], cookieMayChange: false },
    { name: 'whoami', method: 'GET', path: '/api/whoami', headers: {}, body: null, weight: 1, expect: [200], cookieMayChange: false },
  ],
};

function json(reply: Reply): Record<string, unknown> {
  try {
    return JSON.parse(reply.text ?? '') as Record<string, unknown>;
  } catch {
    return {};
  }
}

/**
 * Nothing of a session may go backwards across a rolling restart: the counter the demo answers is the hydrated
 * value + 1, so it must be exactly one more than the last one this user saw; whoami must show the user's own
 * principal, that counter and the last draft saved. The expectation is re-based on what the answer says, so one
 * loss is reported once (the engine counts a session's first break only).
 */
export const demoCheck: ResponseCheck = (user, request, reply) => {
  const body = json(reply);
  const counter = (user.memory.get('counter') as number | undefined) ?? 0;
  if (request.name === 'counter') {
    user.memory.set('counter', Number(body.counter));
    return body.counter === counter + 1 ? null : `counter ${String(body.counter)} after ${counter} (${Number(body.counter) <= 1 ? 'reset' : 'went backwards'}) on ${String(reply.headers['x-backend'])}`;
  }
  if (request.name === 'draft') {
    user.memory.set('draft', draftOf(user));
    return null;
  }
  if (request.name !== 'whoami') return null;
  if (body.principal !== user.principal) return `whoami says ${String(body.principal)} on ${String(reply.headers['x-backend'])}`;
  if (body.counter !== counter) {
    user.memory.set('counter', Number(body.counter));
    return `whoami counter ${String(body.counter)}, expected ${counter}`;
  }
  const draft = (user.memory.get('draft') as string | undefined) ?? '';
  return body.draft === draft ? null : `draft lost on ${String(reply.headers['x-backend'])}`;
};
