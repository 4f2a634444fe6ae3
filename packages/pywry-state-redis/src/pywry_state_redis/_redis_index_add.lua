-- Put a member in an expiry index until now + ttl.
-- KEYS: expiry zset.  ARGV: member, ttl ms.
local now = now_ms()
index_add(KEYS[1], nil, ARGV[1], now + tonumber(ARGV[2]), now)
return 1
