/**
 * The Lua scripts of RedisSessionStore: each store operation is one script, so it is one round trip and atomic.
 * They mirror store-rules.ts and memory-store.ts line for line (the conformance suite holds the two together).
 *
 * Keys (prefix `sg:v1:`, or `{sg}:v1:` on a Cluster so every key a script touches hashes to one slot):
 *   s:<storage key>  hash: attribute fields `scope\0name` → JSON text, and meta fields that start with '#':
 *                    #c created, #a last access, #x deadline (the key's expiry time), #h handle, #p principal,
 *                    #b backend that last wrote, #z encoded size of the attributes
 *   h:<handle>       string → storage key (same TTL as the hash)
 *   p:<principal>    zset of handles scored by login time; its TTL is only ever extended, stale members are
 *                    dropped lazily by login and listByPrincipal (no keyspace notifications needed)
 *   e:<storage key>  tombstone of a session evicted by the duplicate-login policy, for the rest of its lifetime
 *   x:deadlines      zset handle → deadline of every session: the expiry sweep (SWEEP_EXPIRED) finds ended sessions
 *                    here, so the principal index is cleaned on expiry without keyspace notifications
 *   z:sizes          zset handle → encoded size (the size distribution of GET /api/sessions/stats)
 *   c:counters       hash of event counters (created, expired_idle, ...), global over every gateway on this Redis
 *   l:sweep          the sweep lock (SET PX): one gateway sweeps per interval
 * A session's keys live EXPIRED_KEY_GRACE_MS past its deadline so the sweep (or a load) still finds the hash — and
 * with it the principal and the reason — when it ends it: whoever deletes the hash counts the expiry, exactly once.
 * Time is always the caller's `now` (ARGV), never Redis TIME: the gateway's clock is the one tests inject.
 */

/** How long a session's keys outlive its deadline in Redis (the sweep ends it long before; the TTL only bounds garbage
 * when no gateway is running). */
export const EXPIRED_KEY_GRACE_MS = 3_600_000;

/** Event counters kept in `c:counters` (hash fields). */
export const COUNTER_FIELDS = [
  'created', 'logins', 'duplicate_logins', 'login_rejected', 'destroyed_logout', 'destroyed_kill', 'destroyed_evicted',
  'expired_idle', 'expired_absolute', 'expired_lapsed',
] as const;

const PRELUDE = `
local MAX_INT = 9007199254740991
local GRACE = ${EXPIRED_KEY_GRACE_MS}

local function int(n) return string.format('%.0f', n) end

-- Integer value of stored JSON text (nil field = 0); nil when it is not plain integer text in the safe range.
local function integer_of(v)
  if not v then return 0 end
  if not string.match(v, '^%-?%d+$') then return nil end
  local digits = #v
  if string.sub(v, 1, 1) == '-' then digits = digits - 1 end
  if digits > 16 then return nil end
  local n = tonumber(v)
  if n > MAX_INT or n < -MAX_INT then return nil end
  return n
end

-- Split HGETALL output into meta (fields starting with '#') and attributes.
local function split(flat)
  local meta, attrs = {}, {}
  for i = 1, #flat, 2 do
    if string.byte(flat[i], 1) == 35 then meta[flat[i]] = flat[i + 1] else attrs[flat[i]] = flat[i + 1] end
  end
  return meta, attrs
end

local function expiry_reason(meta, now, idle, absolute)
  local created, last = tonumber(meta['#c']), tonumber(meta['#a'])
  if not created or not last then return 'absolute' end
  local idle_at, absolute_at = last + idle, created + absolute
  if now < idle_at and now < absolute_at then return nil end
  if idle_at <= absolute_at then return 'idle' end
  return 'absolute'
end

local function count(prefix, field)
  redis.call('HINCRBY', prefix .. 'c:counters', field, 1)
end

local function destroy(prefix, key, meta)
  redis.call('DEL', prefix .. 's:' .. key)
  local h, p = meta['#h'], meta['#p']
  if h then
    redis.call('DEL', prefix .. 'h:' .. h)
    redis.call('ZREM', prefix .. 'x:deadlines', h)
    redis.call('ZREM', prefix .. 'z:sizes', h)
  end
  if h and p then redis.call('ZREM', prefix .. 'p:' .. p, h) end
end

-- Only the script that deletes the hash gets here, so an expiry is counted once however many race for it.
local function expire(prefix, key, meta, reason)
  destroy(prefix, key, meta)
  if reason ~= 'absolute' then reason = 'idle' end
  count(prefix, 'expired_' .. reason)
end

-- Refresh last access and every TTL: the session lives until min(now + idle, created + absolute).
-- #k records which deadline binds ('idle' | 'absolute'): the sweep tells the two expiries apart with it.
local function touch(prefix, key, meta, now, idle, absolute)
  local idle_at, absolute_at = now + idle, tonumber(meta['#c']) + absolute
  local deadline, kind = idle_at, 'idle'
  if absolute_at < idle_at then deadline, kind = absolute_at, 'absolute' end
  local ttl = math.max(1, deadline - now) + GRACE
  local sk = prefix .. 's:' .. key
  redis.call('HSET', sk, '#a', int(now), '#x', int(deadline), '#k', kind)
  redis.call('PEXPIRE', sk, int(ttl))
  if meta['#h'] then
    redis.call('PEXPIRE', prefix .. 'h:' .. meta['#h'], int(ttl))
    redis.call('ZADD', prefix .. 'x:deadlines', int(deadline), meta['#h'])
  end
  if meta['#p'] then
    local pk = prefix .. 'p:' .. meta['#p']
    local current = redis.call('PTTL', pk)
    if current == -1 or (current >= 0 and current < ttl) then redis.call('PEXPIRE', pk, int(ttl)) end
  end
end

-- A principal's live sessions, oldest login first, as {handle, key, pttl}; drops index entries of ended ones.
local function live_of(prefix, principal, now)
  local pk = prefix .. 'p:' .. principal
  local out = {}
  for _, h in ipairs(redis.call('ZRANGE', pk, 0, -1)) do
    local alive = false
    local k = redis.call('GET', prefix .. 'h:' .. h)
    if k then
      local m = redis.call('HMGET', prefix .. 's:' .. k, '#x', '#p', '#k')
      if m[1] and m[2] == principal then
        if tonumber(m[1]) > now then
          alive = true
        else
          expire(prefix, k, { ['#h'] = h, ['#p'] = m[2] }, m[3])
        end
      end
    end
    if alive then out[#out + 1] = { h, k } else redis.call('ZREM', pk, h) end
  end
  return out
end
`;

/** KEYS: s:key, e:key · ARGV: prefix, now, idle, absolute, touchAfter, key → {'ok', f1, v1, …} | {'none'} | {'evicted'} | {'expired', reason} */
export const LOAD_SESSION = `${PRELUDE}
local prefix, key = ARGV[1], ARGV[6]
local now, idle, absolute, touch_after = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local flat = redis.call('HGETALL', KEYS[1])
if #flat == 0 then
  -- An evicted session is reported once, then forgotten.
  if redis.call('DEL', KEYS[2]) == 1 then return { 'evicted' } end
  return { 'none' }
end
local meta = split(flat)
local reason = expiry_reason(meta, now, idle, absolute)
if reason then
  expire(prefix, key, meta, reason)
  return { 'expired', reason }
end
if now - tonumber(meta['#a']) >= touch_after then
  touch(prefix, key, meta, now, idle, absolute)
  for i = 1, #flat, 2 do
    if flat[i] == '#a' then flat[i + 1] = int(now) end
  end
end
table.insert(flat, 1, 'ok')
return flat
`;

/**
 * KEYS: s:(key or newKey) · ARGV: prefix, now, idle, absolute, maxBytes, key|'', newKey|'', newHandle, backend|'',
 * login '1'|'0', principal, maxPerPrincipal, onLimit, logout '1'|'0', nUnset, nSet, nIncr, unset…, set pairs…, incr pairs…
 * → {'ok', key, handle, hasPrincipal, principal, created, destroyed, size, duplicate, evicted handles…} | {'err', code, detail}
 */
export const COMMIT_SESSION = `${PRELUDE}
local prefix = ARGV[1]
local now, idle, absolute, max_bytes = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local key, new_key, new_handle, backend = ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local login, principal, max_per, on_limit = ARGV[10] == '1', ARGV[11], tonumber(ARGV[12]), ARGV[13]
local logout = ARGV[14] == '1'
local n_unset, n_set, n_incr = tonumber(ARGV[15]), tonumber(ARGV[16]), tonumber(ARGV[17])

local meta, attrs, exists = {}, {}, false
if key ~= '' then
  local flat = redis.call('HGETALL', prefix .. 's:' .. key)
  if #flat > 0 then
    meta, attrs = split(flat)
    exists = true
    local reason = expiry_reason(meta, now, idle, absolute)
    if reason then
      expire(prefix, key, meta, reason)
      meta, attrs, exists = {}, {}, false
    end
  end
end

if logout then
  if not exists then return { 'ok', key ~= '' and key or new_key, '', '0', '', '0', '0', '0', '0' } end
  destroy(prefix, key, meta)
  count(prefix, 'destroyed_logout')
  return { 'ok', key, meta['#h'], meta['#p'] and '1' or '0', meta['#p'] or '', '0', '1', '0', '0' }
end

-- Work out the whole result before writing anything: a refused commit leaves the session as it was.
local pos = 18
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
  if current == nil then return { 'err', 'SG_WRITEBACK_NOT_NUMBER', field } end
  local result = current + delta
  if result > MAX_INT or result < -MAX_INT then return { 'err', 'SG_WRITEBACK_NOT_NUMBER', field } end
  attrs[field] = int(result)
  writes[field] = attrs[field]
end
local size = 0
for f, v in pairs(attrs) do size = size + #f + #v end
if size > max_bytes then return { 'err', 'SG_WRITEBACK_TOO_LARGE', int(size) } end

local handle = new_handle
if exists then handle = meta['#h'] end
local victims = {}
-- A duplicate login: the principal already has another live session (a re-login of its own session is not one).
-- Unlimited principals are checked by index size only, so a login never walks a long index it does not need.
local duplicate = false
if login and max_per > 0 then
  local others = {}
  for _, entry in ipairs(live_of(prefix, principal, now)) do
    if entry[1] ~= handle then others[#others + 1] = entry end
  end
  duplicate = #others > 0 and meta['#p'] ~= principal
  local excess = #others + 1 - max_per
  if excess > 0 then
    if on_limit == 'reject-new' then
      count(prefix, 'login_rejected')
      if duplicate then count(prefix, 'duplicate_logins') end
      return { 'err', 'SG_LOGIN_REJECTED', tostring(#others) }
    end
    for i = 1, excess do victims[i] = others[i] end
  end
elseif login and meta['#p'] ~= principal then
  local pk = prefix .. 'p:' .. principal
  duplicate = redis.call('ZCARD', pk) - (redis.call('ZSCORE', pk, handle) and 1 or 0) > 0
end

local created = not exists
if created then
  if key ~= '' then redis.call('DEL', prefix .. 'e:' .. key) end
  key = new_key
  meta = { ['#c'] = int(now), ['#h'] = handle }
  redis.call('HSET', prefix .. 's:' .. key, '#c', meta['#c'], '#h', handle)
  redis.call('SET', prefix .. 'h:' .. handle, key)
  count(prefix, 'created')
end
local sk = prefix .. 's:' .. key
for _, field in ipairs(unsets) do
  if writes[field] == nil then redis.call('HDEL', sk, field) end
end
for field, value in pairs(writes) do redis.call('HSET', sk, field, value) end

local evicted = {}
if login then
  -- Session-fixation defence: the id the browser held before login no longer opens the session.
  if not created and new_key ~= '' and new_key ~= key then
    redis.call('RENAME', sk, prefix .. 's:' .. new_key)
    redis.call('DEL', prefix .. 'e:' .. key)
    key = new_key
    sk = prefix .. 's:' .. key
    redis.call('SET', prefix .. 'h:' .. handle, key)
  end
  if meta['#p'] and meta['#p'] ~= principal then redis.call('ZREM', prefix .. 'p:' .. meta['#p'], handle) end
  meta['#p'] = principal
  redis.call('HSET', sk, '#p', principal)
  redis.call('ZADD', prefix .. 'p:' .. principal, int(now), handle)
  count(prefix, 'logins')
  if duplicate then count(prefix, 'duplicate_logins') end
  for _, victim in ipairs(victims) do
    local vh, vk = victim[1], victim[2]
    local deadline = tonumber(redis.call('HGET', prefix .. 's:' .. vk, '#x') or '0')
    destroy(prefix, vk, { ['#h'] = vh, ['#p'] = principal })
    count(prefix, 'destroyed_evicted')
    -- The evicted browser's next request is told why its session ended, then the tombstone is gone.
    if deadline > now then redis.call('SET', prefix .. 'e:' .. vk, vh, 'PX', int(deadline - now)) end
    evicted[#evicted + 1] = vh
  end
end
if backend ~= '' then redis.call('HSET', sk, '#b', backend) end
redis.call('HSET', sk, '#z', int(size))
redis.call('ZADD', prefix .. 'z:sizes', int(size), handle)
touch(prefix, key, meta, now, idle, absolute)
local reply = { 'ok', key, handle, meta['#p'] and '1' or '0', meta['#p'] or '', created and '1' or '0', '0', int(size), duplicate and '1' or '0' }
for _, h in ipairs(evicted) do reply[#reply + 1] = h end
return reply
`;

/** KEYS: h:handle · ARGV: prefix → 1 | 0 */
export const DESTROY_BY_HANDLE = `${PRELUDE}
local prefix = ARGV[1]
local key = redis.call('GET', KEYS[1])
if not key then return 0 end
local m = redis.call('HMGET', prefix .. 's:' .. key, '#h', '#p')
if not m[1] then
  redis.call('DEL', KEYS[1])
  return 0
end
destroy(prefix, key, { ['#h'] = m[1], ['#p'] = m[2] })
count(prefix, 'destroyed_kill')
return 1
`;

/** KEYS: p:principal · ARGV: prefix, principal, now → handles ended (force logout of every session of a principal) */
export const DESTROY_BY_PRINCIPAL = `${PRELUDE}
local prefix, principal, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local reply = {}
for _, entry in ipairs(live_of(prefix, principal, now)) do
  destroy(prefix, entry[2], { ['#h'] = entry[1], ['#p'] = principal })
  count(prefix, 'destroyed_kill')
  reply[#reply + 1] = entry[1]
end
return reply
`;

/**
 * KEYS: x:deadlines, l:sweep · ARGV: prefix, now, batch, lockMs, owner
 * → {'locked'} | {'ok', more '1'|'0', handle, principal, reason, …} (one triple per session ended)
 * The lock is taken (or renewed by its owner) and left to lapse: one gateway sweeps per lock period.
 */
export const SWEEP_EXPIRED = `${PRELUDE}
local prefix, now, batch, lock_ms, owner = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5]
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= owner then return { 'locked' } end
redis.call('SET', KEYS[2], owner, 'PX', lock_ms)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', int(now), 'LIMIT', 0, batch)
local reply = { 'ok', #due >= batch and '1' or '0' }
for _, h in ipairs(due) do
  local k = redis.call('GET', prefix .. 'h:' .. h)
  local m = { false, false, false }
  if k then m = redis.call('HMGET', prefix .. 's:' .. k, '#x', '#p', '#k') end
  if not m[1] then
    -- Its keys lapsed (no gateway swept within the grace period): drop the entries, count it without a reason.
    redis.call('DEL', prefix .. 'h:' .. h)
    redis.call('ZREM', KEYS[1], h)
    redis.call('ZREM', prefix .. 'z:sizes', h)
    count(prefix, 'expired_lapsed')
  elseif tonumber(m[1]) > now then
    redis.call('ZADD', KEYS[1], m[1], h)
  else
    local reason = m[3] == 'absolute' and 'absolute' or 'idle'
    expire(prefix, k, { ['#h'] = h, ['#p'] = m[2] }, reason)
    reply[#reply + 1] = h
    reply[#reply + 1] = m[2] or ''
    reply[#reply + 1] = reason
  end
end
return reply
`;

/**
 * KEYS: c:counters, x:deadlines, z:sizes · ARGV: now, bucket bounds…
 * → {counters flat {field, value…}, live, pending sweep, count of sizes ≤ each bound…}
 */
export const SESSION_STATS = `
local now = ARGV[1]
local counters = redis.call('HGETALL', KEYS[1])
local live = redis.call('ZCOUNT', KEYS[2], '(' .. now, '+inf')
local pending = redis.call('ZCARD', KEYS[2]) - live
local buckets = {}
for i = 2, #ARGV do buckets[#buckets + 1] = redis.call('ZCOUNT', KEYS[3], '-inf', ARGV[i]) end
return { counters, live, pending, buckets }
`;

/** KEYS: p:principal · ARGV: prefix, principal, now → {handle, createdAt, lastAccessAt, size, backend|'', hasBackend} × n */
export const LIST_BY_PRINCIPAL = `${PRELUDE}
local prefix, principal, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local reply = {}
for _, entry in ipairs(live_of(prefix, principal, now)) do
  local m = redis.call('HMGET', prefix .. 's:' .. entry[2], '#c', '#a', '#z', '#b')
  reply[#reply + 1] = { entry[1], m[1] or '0', m[2] or '0', m[3] or '0', m[4] or '', m[4] and '1' or '0' }
end
return reply
`;
