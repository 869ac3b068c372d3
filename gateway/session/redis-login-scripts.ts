import { PRELUDE } from './redis-lua-prelude.js';

/**
 * A login moves the session into its principal's bucket (redis-keys.ts): on a Cluster that is another slot, so the
 * move is three scripts that redis-login-move.ts drives, each atomic in its bucket and idempotent:
 *   BEGIN (old bucket)  freeze the session (#m = "newKey token since") and return it whole;
 *   LAND  (new bucket)  apply the write-back to the frozen data, the duplicate-login policy, create it under newKey;
 *   FINISH (old bucket) drop the frozen session, leave the alias r:oldKey → newKey for the login grace;
 *   ABORT (old bucket)  unfreeze it (the login was refused or never landed).
 * While frozen, loads still read the session and commits get {'moving'} and wait: no write is lost between copy
 * and delete. A gateway that dies mid-move leaves the marker behind; whoever finds it older than the stale limit
 * fences LAND's token (RESOLVE_COMMIT) and then finishes or aborts, so a late LAND can never resurrect it.
 */

/**
 * KEYS: s:key · ARGV: b, now, idle, absolute, key, newKey, token, marker ("newKey moveToken since graceMs")
 * → {'frozen', f1, v1, …} | {'alias', key} | {'moving', marker} | {'gone'}
 */
export const MOVE_BEGIN = `${PRELUDE}
local b, now, idle, absolute = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local key, token, marker = ARGV[5], ARGV[7], ARGV[8]
local prior = recorded(b, token)
if prior then return prior end
local flat = redis.call('HGETALL', KEYS[1])
if #flat == 0 then
  local target = redis.call('GET', b .. 'r:' .. key)
  if target then return { 'alias', target } end
  redis.call('DEL', b .. 'e:' .. key)
  return { 'gone' }
end
local meta = split(flat)
if meta['#m'] then return { 'moving', meta['#m'] } end
local reason = expiry_reason(meta, now, idle, absolute)
if reason then
  expire(b, key, meta, reason)
  return { 'gone' }
end
redis.call('HSET', KEYS[1], '#m', marker)
table.insert(flat, 1, 'frozen')
return record(b, token, flat)
`;

/**
 * KEYS: s:newKey · ARGV: b, now, idle, absolute, newKey, token, backend, principal (as stored), principalId,
 * maxPerPrincipal, onLimit, createdAt, handle, old principalId|'', size, nFields, field pairs… (the session after the
 * write-back, worked out by the gateway from the frozen copy)
 * → {'ok', newKey, handle, '1', principal, '0', '0', size, duplicate, evicted handles…} | {'err', 'SG_LOGIN_REJECTED', live}
 */
export const MOVE_LAND = `${PRELUDE}
local b, now, idle, absolute = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local key, token, backend, principal, q = ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local max_per, on_limit, created_at, handle, old_q = tonumber(ARGV[10]), ARGV[11], ARGV[12], ARGV[13], ARGV[14]
local size, n_fields = ARGV[15], tonumber(ARGV[16])
local prior = recorded(b, token)
if prior then return prior end
local victims, duplicate, refused = login_policy(b, token, q, handle, old_q, nil, now, max_per, on_limit)
if refused then return refused end
local sk = KEYS[1]
redis.call('DEL', sk)
redis.call('HSET', sk, '#c', created_at, '#h', handle, '#p', principal, '#q', q, '#z', size)
if backend ~= '' then redis.call('HSET', sk, '#b', backend) end
for i = 0, n_fields - 1 do redis.call('HSET', sk, ARGV[17 + 2 * i], ARGV[18 + 2 * i]) end
redis.call('HSET', b .. 'k', handle, key)
redis.call('ZADD', b .. 'p:' .. q, int(now), key)
redis.call('ZADD', b .. 'z', tonumber(size), member(key, handle))
count(b, 'logins')
if duplicate then count(b, 'duplicate_logins') end
local evicted = evict(b, victims, q, now)
local meta = { ['#c'] = created_at, ['#h'] = handle, ['#q'] = q }
touch(b, key, meta, now, idle, absolute)
local reply = { 'ok', key, handle, '1', principal, '0', '0', size, duplicate and '1' or '0' }
for _, h in ipairs(evicted) do reply[#reply + 1] = h end
return record(b, token, reply)
`;

/** KEYS: s:key · ARGV: b, key, newKey, moveToken, graceMs → {'ok'} | {'not-ours'} */
export const MOVE_FINISH = `${PRELUDE}
local b, key, new_key, token, grace = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local flat = redis.call('HGETALL', KEYS[1])
if #flat > 0 then
  local meta = split(flat)
  local mark = meta['#m'] or ''
  if string.sub(mark, 1, #new_key + #token + 1) ~= new_key .. ' ' .. token then return { 'not-ours' } end
  destroy(b, key, meta)
end
redis.call('DEL', b .. 'e:' .. key)
if grace > 0 then redis.call('SET', b .. 'r:' .. key, new_key, 'PX', int(grace)) end
return { 'ok' }
`;

/** KEYS: s:key · ARGV: newKey, moveToken → 1 when the marker was this move's and is gone, else 0 */
export const MOVE_ABORT = `
local mark = redis.call('HGET', KEYS[1], '#m')
if mark and string.sub(mark, 1, #ARGV[1] + #ARGV[2] + 1) == ARGV[1] .. ' ' .. ARGV[2] then
  redis.call('HDEL', KEYS[1], '#m')
  return 1
end
return 0
`;
