-- Extend a connection and its index entries; 0 if it is gone.
-- KEYS: connection hash.  ARGV: connection id, ttl ms, by-widget prefix, by-worker prefix.
if redis.call('PEXPIRE', KEYS[1], ARGV[2]) == 0 then return 0 end
local now = now_ms()
local expires = now + tonumber(ARGV[2])
local rec = redis.call('HMGET', KEYS[1], 'widget_id', 'worker_id')
index_add(ARGV[3] .. rec[1], nil, ARGV[1], expires, now)
index_add(ARGV[4] .. rec[2], nil, ARGV[1], expires, now)
return 1
