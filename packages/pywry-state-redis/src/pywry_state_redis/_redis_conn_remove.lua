-- Forget a connection and its index entries; 1 if it existed.
-- KEYS: connection hash.  ARGV: connection id, by-widget prefix, by-worker prefix.
conn_unindex(KEYS[1], ARGV[1], ARGV[2], ARGV[3])
return redis.call('DEL', KEYS[1])
