-- Extend a connection and its index entries; 0 if it is gone.
-- KEYS: connection hash.  ARGV: connection id, ttl ms, by-widget prefix, by-worker prefix.
if redis.call('PEXPIRE', KEYS[1], ARGV[2]) == 0 then return 0 end
conn_index(KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4])
return 1
