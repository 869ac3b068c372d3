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
 * Time is always the caller's `now` (ARGV), never Redis TIME: the gateway's clock is the one tests inject.
 */

const PRELUDE = `
local MAX_INT = 9007199254740991

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

local function destroy(prefix, key, meta)
  redis.call('DEL', prefix .. 's:' .. key)
  local h, p = meta['#h'], meta['#p']
  if h then redis.call('DEL', prefix .. 'h:' .. h) end
  if h and p then redis.call('ZREM', prefix .. 'p:' .. p, h) end
end

-- Refresh last access and every TTL: the session lives until min(now + idle, created + absolute).
local function touch(prefix, key, meta, now, idle, absolute)
  local deadline = math.min(now + idle, tonumber(meta['#c']) + absolute)
  local ttl = math.max(1, deadline - now)
  local sk = prefix .. 's:' .. key
  redis.call('HSET', sk, '#a', int(now), '#x', int(deadline))
  redis.call('PEXPIRE', sk, int(ttl))
  if meta['#h'] then redis.call('PEXPIRE', prefix .. 'h:' .. meta['#h'], int(ttl)) end
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
      local m = redis.call('HMGET', prefix .. 's:' .. k, '#x', '#p')
      if m[1] and m[2] == principal then
        if tonumber(m[1]) > now then
          alive = true
        else
          destroy(prefix, k, { ['#h'] = h, ['#p'] = m[2] })
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
  destroy(prefix, key, meta)
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
 * → {'ok', key, handle, hasPrincipal, principal, created, destroyed, size, evicted handles…} | {'err', code, detail}
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
    if expiry_reason(meta, now, idle, absolute) then
      destroy(prefix, key, meta)
      meta, attrs, exists = {}, {}, false
    end
  end
end

if logout then
  if not exists then return { 'ok', key ~= '' and key or new_key, '', '0', '', '0', '0', '0' } end
  destroy(prefix, key, meta)
  return { 'ok', key, meta['#h'], meta['#p'] and '1' or '0', meta['#p'] or '', '0', '1', '0' }
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
if login and max_per > 0 then
  local others = {}
  for _, entry in ipairs(live_of(prefix, principal, now)) do
    if entry[1] ~= handle then others[#others + 1] = entry end
  end
  local excess = #others + 1 - max_per
  if excess > 0 then
    if on_limit == 'reject-new' then return { 'err', 'SG_LOGIN_REJECTED', tostring(#others) } end
    for i = 1, excess do victims[i] = others[i] end
  end
end

local created = not exists
if created then
  if key ~= '' then redis.call('DEL', prefix .. 'e:' .. key) end
  key = new_key
  meta = { ['#c'] = int(now), ['#h'] = handle }
  redis.call('HSET', prefix .. 's:' .. key, '#c', meta['#c'], '#h', handle)
  redis.call('SET', prefix .. 'h:' .. handle, key)
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
  for _, victim in ipairs(victims) do
    local vh, vk = victim[1], victim[2]
    local remaining = redis.call('PTTL', prefix .. 's:' .. vk)
    destroy(prefix, vk, { ['#h'] = vh, ['#p'] = principal })
    -- The evicted browser's next request is told why its session ended, then the tombstone is gone.
    if remaining > 0 then redis.call('SET', prefix .. 'e:' .. vk, vh, 'PX', remaining) end
    evicted[#evicted + 1] = vh
  end
end
if backend ~= '' then redis.call('HSET', sk, '#b', backend) end
redis.call('HSET', sk, '#z', int(size))
touch(prefix, key, meta, now, idle, absolute)
local reply = { 'ok', key, handle, meta['#p'] and '1' or '0', meta['#p'] or '', created and '1' or '0', '0', int(size) }
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
return 1
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
