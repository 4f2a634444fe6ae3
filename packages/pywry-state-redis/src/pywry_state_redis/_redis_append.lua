-- Append to a widget's replay log under the next sequence number, and optionally
-- publish the stored entry in the same call. A log without a counter (new, expired,
-- or lost with Redis's data) starts at the Redis clock in microseconds, so it numbers
-- above every entry an earlier log of this widget had; then one more per append.
-- KEYS: seq counter, log zset (score = seq), append keys zset (member = key, score = seq).
-- ARGV: message JSON object, maxlen, ttl ms, idempotency key ('' for none)
-- [, bus channel, text before, text after]: with a channel, ARGV[6] .. entry .. ARGV[7]
-- is published on it.
-- An append whose key is still logged returns that entry's seq, storing and
-- publishing nothing: the first call stored and published both, atomically.
local key = ARGV[4]
if key ~= '' then
  local known = redis.call('ZSCORE', KEYS[3], key)
  if known and redis.call('EXISTS', KEYS[2]) == 1 then
    return tonumber(known)
  end
end
local seq
if redis.call('EXISTS', KEYS[1]) == 1 then
  seq = redis.call('INCR', KEYS[1])
else
  seq = now_us()
  redis.call('SET', KEYS[1], string.format('%d', seq))
end
local text = ARGV[1]
local sep = ','
if text == '{}' then sep = '' end
local entry = string.sub(text, 1, -2) .. sep .. '"seq":' .. string.format('%d', seq) .. '}'
local maxlen = tonumber(ARGV[2])
redis.call('ZADD', KEYS[2], seq, entry)
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(maxlen + 1))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
if key ~= '' then
  redis.call('ZADD', KEYS[3], seq, key)
  redis.call('PEXPIRE', KEYS[3], ARGV[3])
end
if redis.call('EXISTS', KEYS[3]) == 1 then
  -- A key lives as long as its entry: drop those of entries trimmed from the log.
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', seq - maxlen)
  redis.call('PEXPIRE', KEYS[3], ARGV[3])
end
if ARGV[5] then
  redis.call('PUBLISH', ARGV[5], ARGV[6] .. entry .. ARGV[7])
end
return seq
