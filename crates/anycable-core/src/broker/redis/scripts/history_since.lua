-- history_since.lua: the live messages of a stream registered at or after a time.
-- KEYS[1] $acrs:epoch  KEYS[2] $acrs:h:<stream>
-- ARGV[1] candidate  ARGV[2] run id  ARGV[3] since (s)  ARGV[4] ttl (s)
local epoch = current_epoch(KEYS[1], ARGV[1], ARGV[2])
local from = math.max(tonumber(ARGV[3]) * 1000, now_ms() - tonumber(ARGV[4]) * 1000 + 1)
return { epoch, redis.call('XRANGE', KEYS[2], string.format('%d', from), '+') }
