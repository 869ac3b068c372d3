import { PRELUDE } from './redis-lua-prelude.js';

/**
 * Session management scripts: force logout, listings, the expiry sweep and the stats. A principal's sessions all live
 * in its bucket, so its listing and force logout are one script; the sweep and the stats go bucket by bucket
 * (redis-bucket-scans.ts: one read-only script per node group of buckets, then a sweep script per bucket with work due).
 */

/** KEYS: k (the bucket's handle index) · ARGV: b, handle → 1 | 0 */
export const DESTROY_BY_HANDLE = `${PRELUDE}
local b, handle = ARGV[1], ARGV[2]
local key = redis.call('HGET', KEYS[1], handle)
if not key then return 0 end
local m = redis.call('HMGET', b .. 's:' .. key, '#h', '#q')
if m[1] ~= handle then
  redis.call('HDEL', KEYS[1], handle)
  return 0
end
destroy(b, key, { ['#h'] = m[1], ['#q'] = m[2] or nil })
count(b, 'destroyed_kill')
return 1
`;

/** KEYS: p:id · ARGV: b, principalId, now → handles ended (force logout of every session of a principal) */
export const DESTROY_BY_PRINCIPAL = `${PRELUDE}
local b, q, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local reply = {}
for _, entry in ipairs(live_of(b, q, now)) do
  destroy(b, entry[2], { ['#h'] = entry[1], ['#q'] = q })
  count(b, 'destroyed_kill')
  reply[#reply + 1] = entry[1]
end
return reply
`;

/** KEYS: p:id · ARGV: b, principalId, now → {handle, createdAt, lastAccessAt, size, backend|'', hasBackend} × n */
export const LIST_BY_PRINCIPAL = `${PRELUDE}
local b, q, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local reply = {}
for _, entry in ipairs(live_of(b, q, now)) do
  local m = redis.call('HMGET', b .. 's:' .. entry[2], '#c', '#a', '#z', '#b')
  reply[#reply + 1] = { entry[1], m[1] or '0', m[2] or '0', m[3] or '0', m[4] or '', m[4] and '1' or '0' }
end
return reply
`;

/**
 * KEYS: k (the bucket's handle index) · ARGV: b, handle, now
 * → {} | {principal as stored|'', hasPrincipal, createdAt, lastAccessAt, size, backend|'', hasBackend}
 * Read only: a session past its deadline is reported as none and left to the sweep.
 */
export const FIND_BY_HANDLE = `
local b, handle, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local key = redis.call('HGET', KEYS[1], handle)
if not key then return {} end
local m = redis.call('HMGET', b .. 's:' .. key, '#h', '#x', '#p', '#c', '#a', '#z', '#b')
if m[1] ~= handle or not m[2] or tonumber(m[2]) <= now then return {} end
return { m[3] or '', m[3] and '1' or '0', m[4] or '0', m[5] or '0', m[6] or '0', m[7] or '', m[7] and '1' or '0' }
`;

/** KEYS: the sweep lock · ARGV: owner, lockMs → 1 when this owner holds it (taken or renewed), else 0 */
export const TAKE_SWEEP_LOCK = `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;

/**
 * KEYS: x (the bucket's deadlines) · ARGV: b, now, batch
 * → {more '1'|'0', handle, principal (as stored), reason, …} (one triple per session ended)
 */
export const SWEEP_BUCKET = `${PRELUDE}
local b, now, batch = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', int(now), 'LIMIT', 0, batch)
local reply = { #due >= batch and '1' or '0' }
for _, entry in ipairs(due) do
  local bar = string.find(entry, '|', 1, true)
  local k, h = string.sub(entry, 1, bar - 1), string.sub(entry, bar + 1)
  local m = redis.call('HMGET', b .. 's:' .. k, '#x', '#p', '#k', '#q', '#h')
  if not m[1] or m[5] ~= h then
    -- Its keys lapsed (no gateway swept within the grace period): drop the entries, count it without a reason.
    redis.call('ZREM', KEYS[1], entry)
    redis.call('ZREM', b .. 'z', entry)
    if h ~= '' and redis.call('HGET', b .. 'k', h) == k then redis.call('HDEL', b .. 'k', h) end
    count(b, 'expired_lapsed')
  elseif tonumber(m[1]) > now then
    redis.call('ZADD', KEYS[1], m[1], entry)
  else
    local reason = m[3] == 'absolute' and 'absolute' or 'idle'
    expire(b, k, { ['#h'] = h, ['#q'] = m[4] or nil }, reason)
    reply[#reply + 1] = h
    reply[#reply + 1] = m[2] or ''
    reply[#reply + 1] = reason
  end
end
return reply
`;

/**
 * KEYS: x of the group's first bucket (it routes the script to the group's node) · ARGV: now, prefix… (the group's
 * buckets, all on that node: redis-bucket-groups.ts) → positions (1-based, among the prefixes) of the buckets that
 * have a deadline due. What an idle sweep costs: one read per bucket inside one script, not a script per bucket.
 */
export const DUE_BUCKETS = `
local now = ARGV[1]
local due = {}
for i = 2, #ARGV do
  if #redis.call('ZRANGEBYSCORE', ARGV[i] .. 'x', '-inf', now, 'LIMIT', 0, 1) > 0 then due[#due + 1] = i - 1 end
end
return due
`;

/**
 * KEYS: c of the group's first bucket (routing, as above) · ARGV: now, nBounds, size bound…, prefix…
 * → {counters flat {field, value…} summed over the group, live, pending sweep, count of sizes ≤ each bound…}
 */
export const GROUP_STATS = `
local now, n_bounds = ARGV[1], tonumber(ARGV[2])
local totals, order, live, pending, sizes = {}, {}, 0, 0, {}
for j = 1, n_bounds do sizes[j] = 0 end
for i = 3 + n_bounds, #ARGV do
  local b = ARGV[i]
  local flat = redis.call('HGETALL', b .. 'c')
  for k = 1, #flat, 2 do
    local field = flat[k]
    if not totals[field] then
      order[#order + 1] = field
      totals[field] = 0
    end
    totals[field] = totals[field] + tonumber(flat[k + 1])
  end
  local bucket_live = redis.call('ZCOUNT', b .. 'x', '(' .. now, '+inf')
  live = live + bucket_live
  pending = pending + redis.call('ZCARD', b .. 'x') - bucket_live
  for j = 1, n_bounds do sizes[j] = sizes[j] + redis.call('ZCOUNT', b .. 'z', '-inf', ARGV[2 + j]) end
end
local counters = {}
for _, field in ipairs(order) do
  counters[#counters + 1] = field
  counters[#counters + 1] = string.format('%.0f', totals[field])
end
return { counters, live, pending, sizes }
`;
