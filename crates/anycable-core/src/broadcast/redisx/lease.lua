-- The redisx reading lease: taken when free, renewed by its holder, never taken from another.
-- KEYS[1] lease key  ARGV[1] consumer name  ARGV[2] ttl (ms). Returns 1 when the caller holds it.
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
