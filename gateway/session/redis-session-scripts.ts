import { PRELUDE, RESULT_TTL_MS } from './redis-lua-prelude.js';

/**
 * The request path's scripts: load-and-touch (the slow path of a read: RedisSessionStore.load serves a live session
 * that needs no touch from a plain HGETALL, and runs this only for a miss, an expiry or a due touch), commit a
 * write-back, and the fence that settles a commit whose reply was lost. Each is one round trip and atomic, in one
 * bucket (redis-keys.ts).
 *
 * Replies that apply nothing are not recorded under the token, so the caller may send the same token again after
 * following them: {'alias', key} (the id was rotated by a login: go there), {'moving', marker} (a login is moving
 * the session to its principal's bucket: wait), {'gone'} (no session, and the new one belongs in another bucket).
 */

/** KEYS: s:key · ARGV: b, now, idle, absolute, touchAfter, key → {'ok', f1, v1, …} | {'none'} | {'evicted'} | {'expired', reason} | {'alias', key} */
export const LOAD_SESSION = `${PRELUDE}
local b, key = ARGV[1], ARGV[6]
local now, idle, absolute, touch_after = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local flat = redis.call('HGETALL', KEYS[1])
if #flat == 0 then
  local target = redis.call('GET', b .. 'r:' .. key)
  if target then return { 'alias', target } end
  -- An evicted session is reported once, then forgotten.
  if redis.call('DEL', b .. 'e:' .. key) == 1 then return { 'evicted' } end
  return { 'none' }
end
local meta = split(flat)
local reason = expiry_reason(meta, now, idle, absolute)
if reason then
  expire(b, key, meta, reason)
  return { 'expired', reason }
end
if now - tonumber(meta['#a']) >= touch_after then
  touch(b, key, meta, now, idle, absolute)
  for i = 1, #flat, 2 do
    if flat[i] == '#a' then flat[i + 1] = int(now) end
  end
end
table.insert(flat, 1, 'ok')
return flat
`;

/**
 * KEYS: s:(key or newKey) · ARGV: b, now, idle, absolute, maxBytes, key|'', newKey|'', newHere '1'|'0', newHandle,
 * backend|'', login '1'|'0', principal (as stored), principalId, maxPerPrincipal, onLimit, logout '1'|'0', token,
 * graceMs, nUnset, nSet, nIncr, nCas, unset…, set pairs…, incr pairs…, cas triples…
 * A cas triple is field, expected ('a' absent | 'v' .. value as stored before this commit), replacement ('n' not a
 * number | 'v' .. value): how an `incr` of an encrypted value is applied (the gateway computes it, the script checks
 * nothing changed meanwhile), and how a value or the principal ('#p') sealed under an older key is re-sealed.
 * → {'ok', key, handle, hasPrincipal, principal, created, destroyed, size, duplicate, evicted handles…}
 *   | {'err', code, detail} | {'conflict', field, current ('a' | 'v' .. value), …} | {'alias', key} | {'moving', marker} | {'gone'}
 */
export const COMMIT_SESSION = `${PRELUDE}
local b = ARGV[1]
local now, idle, absolute, max_bytes = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local key, new_key, new_here, new_handle, backend = ARGV[6], ARGV[7], ARGV[8] == '1', ARGV[9], ARGV[10]
local login, principal, q, max_per, on_limit = ARGV[11] == '1', ARGV[12], ARGV[13], tonumber(ARGV[14]), ARGV[15]
local logout, token, grace = ARGV[16] == '1', ARGV[17], tonumber(ARGV[18])
local n_unset, n_set, n_incr, n_cas = tonumber(ARGV[19]), tonumber(ARGV[20]), tonumber(ARGV[21]), tonumber(ARGV[22])

local prior = recorded(b, token)
if prior then return prior end

local meta, attrs, exists = {}, {}, false
if key ~= '' then
  local flat = redis.call('HGETALL', b .. 's:' .. key)
  if #flat > 0 then
    meta, attrs = split(flat)
    if meta['#m'] then return { 'moving', meta['#m'] } end
    exists = true
    local reason = expiry_reason(meta, now, idle, absolute)
    if reason then
      expire(b, key, meta, reason)
      meta, attrs, exists = {}, {}, false
    end
  else
    local target = redis.call('GET', b .. 'r:' .. key)
    if target then return { 'alias', target } end
  end
end

if logout then
  if not exists then return record(b, token, { 'ok', key ~= '' and key or new_key, '', '0', '', '0', '0', '0', '0' }) end
  destroy(b, key, meta)
  count(b, 'destroyed_logout')
  return record(b, token, { 'ok', key, meta['#h'], meta['#p'] and '1' or '0', meta['#p'] or '', '0', '1', '0', '0' })
end
if not exists and not new_here then
  if key ~= '' then redis.call('DEL', b .. 'e:' .. key) end
  return { 'gone' }
end

-- Work out the whole result before writing anything: a refused commit leaves the session as it was.
local pos = 23
local cas_at = pos + n_unset + 2 * n_set + 2 * n_incr
local conflicts, nan, replaced = {}, nil, {}
for i = 0, n_cas - 1 do
  local field, expected, replacement = ARGV[cas_at + 3 * i], ARGV[cas_at + 3 * i + 1], ARGV[cas_at + 3 * i + 2]
  local stored = attrs[field]
  if string.byte(field, 1) == 35 then stored = meta[field] end
  if (expected == 'a' and stored ~= nil) or (expected ~= 'a' and stored ~= string.sub(expected, 2)) then
    conflicts[#conflicts + 1] = field
    conflicts[#conflicts + 1] = stored and ('v' .. stored) or 'a'
  elseif replacement == 'n' then
    nan = nan or field
  else
    replaced[field] = string.sub(replacement, 2)
  end
end
if #conflicts > 0 then
  table.insert(conflicts, 1, 'conflict')
  return record(b, token, conflicts)
end
if nan then return record(b, token, { 'err', 'SG_WRITEBACK_NOT_NUMBER', nan }) end
local unsets, writes = {}, {}
for _ = 1, n_unset do
  unsets[#unsets + 1] = ARGV[pos]
  attrs[ARGV[pos]] = nil
  pos = pos + 1
end
for _ = 1, n_set do
  attrs[ARGV[pos]] = ARGV[pos + 1]
  writes[ARGV[pos]] = ARGV[pos + 1]
  pos = pos + 2
end
for _ = 1, n_incr do
  local field, delta = ARGV[pos], tonumber(ARGV[pos + 1])
  pos = pos + 2
  local current = integer_of(attrs[field])
  if current == nil then return record(b, token, { 'err', 'SG_WRITEBACK_NOT_NUMBER', field }) end
  local result = current + delta
  if result > MAX_INT or result < -MAX_INT then return record(b, token, { 'err', 'SG_WRITEBACK_NOT_NUMBER', field }) end
  attrs[field] = int(result)
  writes[field] = attrs[field]
end
for field, value in pairs(replaced) do
  -- '#p': the principal re-sealed under the current key (a meta field, not an attribute).
  if string.byte(field, 1) == 35 then meta[field] = value else attrs[field] = value end
  writes[field] = value
end
local size = 0
for f, v in pairs(attrs) do size = size + weight(f, v) end
if size > max_bytes then return record(b, token, { 'err', 'SG_WRITEBACK_TOO_LARGE', int(size) }) end

local handle = new_handle
if exists then handle = meta['#h'] end
local victims, duplicate = {}, false
if login then
  local refused
  victims, duplicate, refused = login_policy(b, token, q, handle, meta['#q'], exists and key, now, max_per, on_limit)
  if refused then return refused end
end

-- Every field this commit writes goes in one HSET, with touch()'s, at the end (after a login's RENAME).
local fields = {}
local function put(field, value)
  fields[#fields + 1] = field
  fields[#fields + 1] = value
end
local created = not exists
if created then
  if key ~= '' then redis.call('DEL', b .. 'e:' .. key) end
  key = new_key
  meta = { ['#c'] = int(now), ['#h'] = handle }
  put('#c', meta['#c'])
  put('#h', handle)
  redis.call('HSET', b .. 'k', handle, key)
  count(b, 'created')
end
local sk = b .. 's:' .. key
if not created then
  local gone = {}
  for _, field in ipairs(unsets) do
    if writes[field] == nil then gone[#gone + 1] = field end
  end
  if #gone > 0 then each_part('HDEL', sk, gone) end
end
for field, value in pairs(writes) do put(field, value) end
local moved = created

local evicted = {}
if login then
  -- Session-fixation defence: the id the browser held before login opens the session only through the alias, for
  -- the login grace (a request already in flight with it must reach the rotated session, docs/architecture.md §13).
  if not created and new_key ~= '' and new_key ~= key then
    redis.call('RENAME', sk, b .. 's:' .. new_key)
    local old_member = member(key, handle)
    redis.call('ZREM', b .. 'x', old_member)
    redis.call('ZREM', b .. 'z', old_member)
    if meta['#q'] then redis.call('ZREM', b .. 'p:' .. meta['#q'], key) end
    redis.call('DEL', b .. 'e:' .. key)
    if grace > 0 then redis.call('SET', b .. 'r:' .. key, new_key, 'PX', int(grace)) end
    key = new_key
    sk = b .. 's:' .. key
    redis.call('HSET', b .. 'k', handle, key)
    moved = true
  end
  if meta['#q'] and meta['#q'] ~= q then redis.call('ZREM', b .. 'p:' .. meta['#q'], key) end
  -- The index may be new (no TTL yet), or another principal's: touch() must check its TTL.
  meta['#p'], meta['#q'], meta['#y'] = principal, q, nil
  put('#p', principal)
  put('#q', q)
  redis.call('ZADD', b .. 'p:' .. q, int(now), key)
  count(b, 'logins')
  if duplicate then count(b, 'duplicate_logins') end
  evicted = evict(b, victims, q, now)
end
if backend ~= '' and backend ~= meta['#b'] then put('#b', backend) end
-- The size index changes only when the size does, or the member (key|handle) is new.
if moved or meta['#z'] ~= int(size) then
  put('#z', int(size))
  redis.call('ZADD', b .. 'z', int(size), member(key, handle))
end
touch(b, key, meta, now, idle, absolute, fields)
local reply = { 'ok', key, handle, meta['#p'] and '1' or '0', meta['#p'] or '', created and '1' or '0', '0', int(size), duplicate and '1' or '0' }
for _, h in ipairs(evicted) do reply[#reply + 1] = h end
return record(b, token, reply)
`;

/**
 * KEYS: i:token. The fence of a commit whose outcome the gateway did not learn (a timeout, a dropped connection):
 * the commit's recorded result if it ran, else a record that it must not ('aborted'), which a late or resent copy of
 * the commit then finds and returns instead of running. Whichever of the two reaches Redis first decides, and the
 * gateway answers what this returns. → the commit's reply | {'aborted'}
 */
export const RESOLVE_COMMIT = `
local r = redis.call('GET', KEYS[1])
if r then return cjson.decode(r) end
redis.call('SET', KEYS[1], cjson.encode({ 'aborted' }), 'PX', ${RESULT_TTL_MS})
return { 'aborted' }
`;
