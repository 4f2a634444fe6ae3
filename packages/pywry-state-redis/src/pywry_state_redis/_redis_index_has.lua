-- Whether one member of an expiry index is live (its expiry is still ahead).
-- KEYS: expiry zset. ARGV: member.
local expires = redis.call('ZSCORE', KEYS[1], ARGV[1])
if expires and tonumber(expires) > now_ms() then return 1 end
return 0
