-- join.lua: session ARGV[2] joins stream ARGV[1] as id ARGV[3]; publishes a `j` record when the id
-- is new on the stream. Returns -1 (the session joined it as another id), 0 (nothing to announce)
-- or 1 (announced).
-- KEYS[1] $acrs:pd  KEYS[2] $acrs:pj:<sid>  KEYS[3] $acrs:pr:<stream>  KEYS[4] $acrs:pc:<stream>
-- ARGV[1] stream  ARGV[2] sid  ARGV[3] id  ARGV[4] info ('' = none)  ARGV[5] presenceTtl (s)
-- ARGV[6] fan-out channel
local joined_as = redis.call('HGET', KEYS[2], ARGV[1])
if joined_as and joined_as ~= ARGV[3] then return -1 end
-- The session's lease on all of its presence, in Redis's clock.
redis.call('ZADD', KEYS[1], math.floor(now_ms() / 1000) + tonumber(ARGV[5]), ARGV[2])
-- The latest join's info wins, whichever session sent it.
redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
if joined_as then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
-- Another session (on any node) holds the id already.
if redis.call('HINCRBY', KEYS[4], ARGV[3], 1) > 1 then return 0 end
redis.call('PUBLISH', ARGV[6], 'j' .. field(ARGV[1]) .. field(ARGV[3]) .. field(ARGV[4]))
return 1
