-- Prune an expiry index and return its live members.
-- KEYS: expiry zset, and optionally the set that mirrors it.
prune(KEYS[1], KEYS[2], now_ms())
if KEYS[2] then return redis.call('SMEMBERS', KEYS[2]) end
return redis.call('ZRANGE', KEYS[1], 0, -1)
