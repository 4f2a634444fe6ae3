-- Extend a widget's life; 0 (and out of the active set) if it is gone.
-- KEYS: widget hash, active set, expiry zset.  ARGV: widget id, ttl ms.
local now = now_ms()
if redis.call('PEXPIRE', KEYS[1], ARGV[2]) == 0 then
  index_remove(KEYS[3], KEYS[2], ARGV[1])
  return 0
end
index_add(KEYS[3], KEYS[2], ARGV[1], now + tonumber(ARGV[2]), now)
return 1
