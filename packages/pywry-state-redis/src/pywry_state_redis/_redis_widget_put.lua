-- Store a widget and mark it active.
-- KEYS: widget hash, active set, expiry zset.  ARGV: widget id, ttl ms, field, value, ...
local now = now_ms()
hash_replace(KEYS[1], 3, ARGV[2])
index_add(KEYS[3], KEYS[2], ARGV[1], now + tonumber(ARGV[2]), now)
return 1
