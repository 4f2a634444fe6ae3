-- Record a connection and index it by widget and by worker.
-- KEYS: connection hash.
-- ARGV: connection id, ttl ms, by-widget index prefix, by-worker index prefix, field, value, ...
conn_unindex(KEYS[1], ARGV[1], ARGV[3], ARGV[4])
hash_replace(KEYS[1], 5, ARGV[2])
conn_index(KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4])
return 1
