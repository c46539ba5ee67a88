-- leave.lua: session ARGV[2] leaves stream ARGV[1]; when it was the last session holding its id
-- there, publishes an `l` record and returns the id (else nil).
-- KEYS[1] $acrs:pd  KEYS[2] $acrs:pj:<sid>  KEYS[3] $acrs:pr:<stream>  KEYS[4] $acrs:pc:<stream>
-- ARGV[1] stream  ARGV[2] sid  ARGV[3] fan-out channel
local id = redis.call('HGET', KEYS[2], ARGV[1])
if not id then return false end
redis.call('HDEL', KEYS[2], ARGV[1])
-- A session holding no presence has no lease either (HDEL of the last field deletes the hash).
if redis.call('EXISTS', KEYS[2]) == 0 then redis.call('ZREM', KEYS[1], ARGV[2]) end
if redis.call('HINCRBY', KEYS[4], id, -1) > 0 then return false end
redis.call('HDEL', KEYS[4], id)
redis.call('HDEL', KEYS[3], id)
redis.call('PUBLISH', ARGV[3], 'l' .. field(ARGV[1]) .. field(id))
return id
