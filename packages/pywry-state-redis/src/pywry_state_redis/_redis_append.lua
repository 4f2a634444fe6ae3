-- Append to a widget's replay log under the next sequence number.
-- KEYS: seq counter, log zset (score = seq).  ARGV: message JSON object, maxlen, ttl ms.
local seq = redis.call('INCR', KEYS[1])
local text = ARGV[1]
local sep = ','
if text == '{}' then sep = '' end
local entry = string.sub(text, 1, -2) .. sep .. '"seq":' .. string.format('%d', seq) .. '}'
redis.call('ZADD', KEYS[2], seq, entry)
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[2]) + 1))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return seq
