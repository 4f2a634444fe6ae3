-- Forget a connection and its index entries; 1 if it existed.
-- KEYS: connection hash.  ARGV: connection id, by-widget prefix, by-worker prefix.
local rec = redis.call('HMGET', KEYS[1], 'widget_id', 'worker_id')
if rec[1] then index_remove(ARGV[2] .. rec[1], nil, ARGV[1]) end
if rec[2] then index_remove(ARGV[3] .. rec[2], nil, ARGV[1]) end
return redis.call('DEL', KEYS[1])
