-- sweep.lua: removes the presence of sessions whose lease is due and publishes its leaves. Whichever
-- node's sweep removes a due session announces them, so there is one `leave` cluster-wide however
-- many nodes sweep. Returns how many sessions it removed: the caller calls again while that is
-- ARGV[3].
-- KEYS[1] $acrs:pd  ARGV[1] key prefix  ARGV[2] fan-out channel  ARGV[3] most sessions per call
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', math.floor(now_ms() / 1000),
  'LIMIT', 0, tonumber(ARGV[3]))
local records = {}
for _, sid in ipairs(due) do
  redis.call('ZREM', KEYS[1], sid)
  local held_key = ARGV[1] .. 'pj:' .. sid
  local held = redis.call('HGETALL', held_key)
  redis.call('DEL', held_key)
  for i = 1, #held, 2 do
    local stream, id = held[i], held[i + 1]
    local counts = ARGV[1] .. 'pc:' .. stream
    if redis.call('HINCRBY', counts, id, -1) <= 0 then
      redis.call('HDEL', counts, id)
      redis.call('HDEL', ARGV[1] .. 'pr:' .. stream, id)
      records[#records + 1] = 'l' .. field(stream) .. field(id)
    end
  end
end
if #records > 0 then redis.call('PUBLISH', ARGV[2], table.concat(records)) end
return #due
