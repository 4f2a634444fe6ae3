-- Take a member out of an expiry index; 1 if it was live.
-- KEYS: expiry zset.  ARGV: member.
prune(KEYS[1], nil, now_ms())
return index_remove(KEYS[1], nil, ARGV[1])
