-- Claim a key once, safely retried: the first caller stores its token; a call that
-- finds its own token (the client resent the command after a lost reply) owns it too.
-- KEYS: claim key. ARGV: token, ttl in milliseconds.
local holder = redis.call('GET', KEYS[1])
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if holder == ARGV[1] then return 1 end
return 0
