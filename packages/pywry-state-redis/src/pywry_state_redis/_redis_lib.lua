-- Helpers shared by every script: _link.py puts this text before each script.
-- Times are Redis server milliseconds, so workers with skewed clocks agree.

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Microseconds since the epoch by the same clock: a new replay log's first number
-- (pywry.state.numbering). About 1.8e15 in 2026, exact in a Lua double below 2^53.
local function now_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end

-- Drop the members of expiry index `zset` whose time has come, from `set` too.
local function prune(zset, set, now)
  if set then
    local gone = redis.call('ZRANGEBYSCORE', zset, '-inf', now)
    for i = 1, #gone, 500 do
      redis.call('SREM', set, unpack(gone, i, math.min(i + 499, #gone)))
    end
  end
  redis.call('ZREMRANGEBYSCORE', zset, '-inf', now)
end

-- Add `member` to expiry index `zset` (and `set`) until `expires`, then let the
-- index keys live exactly as long as their longest-lived member.
local function index_add(zset, set, member, expires, now)
  prune(zset, set, now)
  redis.call('ZADD', zset, expires, member)
  if set then redis.call('SADD', set, member) end
  local last = redis.call('ZRANGE', zset, -1, -1, 'WITHSCORES')
  redis.call('PEXPIREAT', zset, last[2])
  if set then redis.call('PEXPIREAT', set, last[2]) end
end

-- Take `member` out of expiry index `zset` (and `set`).
local function index_remove(zset, set, member)
  if set then redis.call('SREM', set, member) end
  return redis.call('ZREM', zset, member)
end

-- Replace hash `key` with the field/value pairs ARGV[first..] and expire it.
local function hash_replace(key, first, ttl_ms)
  redis.call('DEL', key)
  redis.call('HSET', key, unpack(ARGV, first))
  redis.call('PEXPIRE', key, ttl_ms)
end
