-- Append to a widget's replay log under the next sequence number, and optionally
-- publish the stored entry in the same call.
-- KEYS: seq counter, log zset (score = seq).
-- ARGV: message JSON object, maxlen, ttl ms[, bus channel, text before, text after]:
-- with a channel, ARGV[5] .. entry .. ARGV[6] is published on it.
local seq = redis.call('INCR', KEYS[1])
local text = ARGV[1]
local sep = ','
if text == '{}' then sep = '' end
local entry = string.sub(text, 1, -2) .. sep .. '"seq":' .. string.format('%d', seq) .. '}'
redis.call('ZADD', KEYS[2], seq, entry)
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[2]) + 1))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
if ARGV[4] then
  redis.call('PUBLISH', ARGV[4], ARGV[5] .. entry .. ARGV[6])
end
return seq
