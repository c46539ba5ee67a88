-- touch.lua: session ARGV[1]'s presence lasts presenceTtl from now; a session without presence
-- gets none (XX). KEYS[1] $acrs:pd  ARGV[1] sid  ARGV[2] presenceTtl (s)
return redis.call('ZADD', KEYS[1], 'XX', math.floor(now_ms() / 1000) + tonumber(ARGV[2]), ARGV[1])
