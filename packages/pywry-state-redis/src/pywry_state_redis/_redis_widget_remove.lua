-- Delete a widget and take it out of the active set; 1 if it existed.
-- KEYS: widget hash, active set, expiry zset.  ARGV: widget id.
index_remove(KEYS[3], KEYS[2], ARGV[1])
return redis.call('DEL', KEYS[1])
