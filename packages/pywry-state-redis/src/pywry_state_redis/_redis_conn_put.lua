-- Record a connection and index it by widget and by worker.
-- KEYS: connection hash.
-- ARGV: connection id, ttl ms, by-widget index prefix, by-worker index prefix, field, value, ...
local old = redis.call('HMGET', KEYS[1], 'widget_id', 'worker_id')
if old[1] then index_remove(ARGV[3] .. old[1], nil, ARGV[1]) end
if old[2] then index_remove(ARGV[4] .. old[2], nil, ARGV[1]) end
hash_replace(KEYS[1], 5, ARGV[2])
local now = now_ms()
local expires = now + tonumber(ARGV[2])
local new = redis.call('HMGET', KEYS[1], 'widget_id', 'worker_id')
index_add(ARGV[3] .. new[1], nil, ARGV[1], expires, now)
index_add(ARGV[4] .. new[2], nil, ARGV[1], expires, now)
return 1
