/**
 * Lua shared by the session store's scripts (redis-session-scripts.ts, redis-login-scripts.ts,
 * redis-admin-scripts.ts). They mirror store-rules.ts and memory-store.ts (the conformance suite holds them together).
 * Every script gets its bucket's prefix `b` (redis-keys.ts) and touches keys of that one bucket only.
 *
 * Meta fields of a session hash (attribute fields never start with '#'):
 *   #c created · #a last access · #x deadline · #k which deadline binds ('idle' | 'absolute') · #h handle
 *   #p principal as stored (encrypted when SESSION_STORE_KEY is set) · #q principal index id · #b last backend
 *   #z encoded size · #m "newKey token since" while a login moves the session to its principal's bucket
 *   #y until when its principal index is known to live (ms): commits before then need not read the index's TTL
 * A session's keys live EXPIRED_KEY_GRACE_MS past its deadline so the sweep (or a load) still finds the hash — and with
 * it the principal and the reason — when it ends it: whoever deletes the hash counts the expiry, exactly once.
 * Time is always the caller's `now` (ARGV), never Redis TIME: the gateway's clock is the one tests inject.
 */

/** How long a session's keys outlive its deadline (the sweep ends it long before; the TTL only bounds garbage). */
export const EXPIRED_KEY_GRACE_MS = 3_600_000;

/**
 * How long a commit's result stays under its idempotency token. A resent script or a fence (RESOLVE_COMMIT) arrives
 * within the outcome timeout of the gateway that sent it (seconds); this is that with a wide margin.
 */
export const RESULT_TTL_MS = 60_000;

/**
 * How much longer than the session needing it a principal index is kept alive when its TTL is extended: the session
 * notes the time (#y), and its next commits within the margin skip reading and extending the index's TTL.
 */
export const INDEX_MARGIN_MS = 60_000;

/** Event counters kept in each bucket's `c` hash. */
export const COUNTER_FIELDS = [
  'created', 'logins', 'duplicate_logins', 'login_rejected', 'destroyed_logout', 'destroyed_kill', 'destroyed_evicted',
  'expired_idle', 'expired_absolute', 'expired_lapsed',
] as const;

export const PRELUDE = `
local MAX_INT = 9007199254740991
local GRACE = ${EXPIRED_KEY_GRACE_MS}
local RESULT_TTL = ${RESULT_TTL_MS}
local INDEX_MARGIN = ${INDEX_MARGIN_MS}

local function int(n) return string.format('%.0f', n) end

-- One HSET (or HDEL) for many fields; cut into parts so that unpack stays far below Lua's stack limit.
local function each_part(command, key, args)
  for i = 1, #args, 1000 do redis.call(command, key, unpack(args, i, math.min(i + 999, #args))) end
end

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

-- What a value counts against the size cap: its JSON text, or for an encrypted value ('~len~…') the length it declares.
local function value_size(v)
  if string.byte(v, 1) == 126 then
    local n = string.match(v, '^~(%d+)~')
    if n then return tonumber(n) end
  end
  return #v
end

-- Bytes a name takes as a JSON string, quotes included (only '"' and '\\' need escaping in accepted names).
local function json_string_bytes(text)
  local _, escapes = string.gsub(text, '["\\\\]', '')
  return #text + escapes + 2
end

-- What one attribute adds to the X-Session data claim, '"name":value,' (twin of attributeWeight in store.ts).
local function weight(field, value)
  local sep = string.find(field, '\\0', 1, true)
  return json_string_bytes(string.sub(field, sep + 1)) + 1 + value_size(value) + 1
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

local function count(b, field)
  redis.call('HINCRBY', b .. 'c', field, 1)
end

-- Members of the bucket's deadline and size zsets: the handle rides along so a lapsed entry can clean the handle index.
local function member(key, handle)
  return key .. '|' .. (handle or '')
end

local function destroy(b, key, meta)
  redis.call('DEL', b .. 's:' .. key)
  local m = member(key, meta['#h'])
  redis.call('ZREM', b .. 'x', m)
  redis.call('ZREM', b .. 'z', m)
  if meta['#h'] then redis.call('HDEL', b .. 'k', meta['#h']) end
  if meta['#q'] then redis.call('ZREM', b .. 'p:' .. meta['#q'], key) end
end

-- Only the script that deletes the hash gets here, so an expiry is counted once however many race for it.
local function expire(b, key, meta, reason)
  destroy(b, key, meta)
  if reason ~= 'absolute' then reason = 'idle' end
  count(b, 'expired_' .. reason)
end

-- Refresh last access and every TTL: the session lives until min(now + idle, created + absolute). \`fields\`: more
-- field/value pairs of the session to write in the same HSET (a commit's writes), or nil.
-- The principal index must outlive each of its sessions. Its TTL only ever grows, so a session whose #y (when the
-- index is known to live until) covers its new TTL skips PTTL and PEXPIRE; otherwise the index is extended with a
-- margin and #y noted. A caller whose session just entered an index (a login) clears meta['#y'] first.
local function touch(b, key, meta, now, idle, absolute, fields)
  local idle_at, absolute_at = now + idle, tonumber(meta['#c']) + absolute
  local deadline, kind = idle_at, 'idle'
  if absolute_at < idle_at then deadline, kind = absolute_at, 'absolute' end
  local ttl = math.max(1, deadline - now) + GRACE
  local sk = b .. 's:' .. key
  fields = fields or {}
  for _, v in ipairs({ '#a', int(now), '#x', int(deadline), '#k', kind }) do fields[#fields + 1] = v end
  if meta['#q'] and now + ttl > tonumber(meta['#y'] or '0') then
    local pk = b .. 'p:' .. meta['#q']
    local current, wanted = redis.call('PTTL', pk), ttl + INDEX_MARGIN
    if current == -1 or (current >= 0 and current < ttl) then
      redis.call('PEXPIRE', pk, int(wanted))
      current = wanted
    end
    if current >= 0 then
      fields[#fields + 1] = '#y'
      fields[#fields + 1] = int(now + current)
    end
  end
  each_part('HSET', sk, fields)
  redis.call('PEXPIRE', sk, int(ttl))
  redis.call('ZADD', b .. 'x', int(deadline), member(key, meta['#h']))
end

-- A principal's live sessions in this bucket, oldest login first, as {handle, key}; drops index entries of ended ones.
local function live_of(b, q, now)
  local pk = b .. 'p:' .. q
  local out = {}
  for _, k in ipairs(redis.call('ZRANGE', pk, 0, -1)) do
    local m = redis.call('HMGET', b .. 's:' .. k, '#x', '#q', '#k', '#h')
    local alive = false
    if m[1] and m[2] == q then
      if tonumber(m[1]) > now then
        alive = true
      else
        expire(b, k, { ['#h'] = m[4], ['#q'] = m[2] }, m[3])
      end
    end
    if alive then out[#out + 1] = { m[4], k } else redis.call('ZREM', pk, k) end
  end
  return out
end

-- Exactly once: a script that finds its token's result returns it instead of running again (a resend, or a fence).
local function recorded(b, token)
  if token == '' then return nil end
  local r = redis.call('GET', b .. 'i:' .. token)
  if r then return cjson.decode(r) end
  return nil
end

local function record(b, token, reply)
  if token ~= '' then redis.call('SET', b .. 'i:' .. token, cjson.encode(reply), 'PX', RESULT_TTL) end
  return reply
end

-- The duplicate-login policy for a login of session \`handle\` as principal id q (old_q: its principal id before).
-- A re-login of the principal's own session does not count; unlimited principals are checked by index size only, so
-- a login never walks a long index it does not need. indexed: the session's key if it may already be in q's index.
-- → victims (evict-oldest), duplicate, or nil, nil and the recorded refusal (reject-new).
local function login_policy(b, token, q, handle, old_q, indexed, now, max_per, on_limit)
  local victims, duplicate = {}, false
  if max_per > 0 then
    local others = {}
    for _, entry in ipairs(live_of(b, q, now)) do
      if entry[1] ~= handle then others[#others + 1] = entry end
    end
    duplicate = #others > 0 and old_q ~= q
    local excess = #others + 1 - max_per
    if excess > 0 then
      if on_limit == 'reject-new' then
        count(b, 'login_rejected')
        if duplicate then count(b, 'duplicate_logins') end
        return nil, nil, record(b, token, { 'err', 'SG_LOGIN_REJECTED', tostring(#others) })
      end
      for i = 1, excess do victims[i] = others[i] end
    end
  elseif old_q ~= q then
    local pk = b .. 'p:' .. q
    duplicate = redis.call('ZCARD', pk) - (indexed and redis.call('ZSCORE', pk, indexed) and 1 or 0) > 0
  end
  return victims, duplicate, nil
end

-- End the victims of evict-oldest, each leaving a tombstone for its browser's next request; returns their handles.
local function evict(b, victims, q, now)
  local handles = {}
  for _, victim in ipairs(victims) do
    local vh, vk = victim[1], victim[2]
    local deadline = tonumber(redis.call('HGET', b .. 's:' .. vk, '#x') or '0')
    destroy(b, vk, { ['#h'] = vh, ['#q'] = q })
    count(b, 'destroyed_evicted')
    if deadline > now then redis.call('SET', b .. 'e:' .. vk, vh, 'PX', int(deadline - now)) end
    handles[#handles + 1] = vh
  end
  return handles
end

`;
