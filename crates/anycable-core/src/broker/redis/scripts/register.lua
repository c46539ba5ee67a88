-- register.lua: registers n publications (kept ones) or only fans them out (transient), atomically,
-- then publishes them all, in order, in one message on the fan-out channel.
-- KEYS[1] $acrs:epoch  KEYS[2] $acrs:hw  KEYS[1+2i] $acrs:o:<stream i>  KEYS[2+2i] $acrs:h:<stream i>
-- KEYS[3+2n] the redisx stream (only when ARGV[7] ~= '')
-- ARGV[1] candidate epoch  ARGV[2] run id  ARGV[3] historyLimit  ARGV[4] historyTtl (s)
-- ARGV[5] idle ttl (s, 10 x historyTtl)  ARGV[6] fan-out channel  ARGV[7] redisx group ('' = no ack)
-- ARGV[8] redisx entry id; per publication i: ARGV[5+4i] stream, ARGV[6+4i] data,
-- ARGV[7+4i] exclude ('' = none), ARGV[8+4i] kind ('m' kept, 't' transient)
-- A failing command aborts the script but keeps the writes made before it: XACK goes first (it
-- fails on a missing group before any write) and XADD runs under pcall.
local n = (#ARGV - 8) / 4
if ARGV[7] ~= '' then
  local source = KEYS[3 + 2 * n]
  if redis.call('XACK', source, ARGV[7], ARGV[8]) == 0 then return false end -- taken already
  redis.call('XDEL', source, ARGV[8])
end
local epoch = current_epoch(KEYS[1], ARGV[1], ARGV[2])
local now = now_ms()
local limit, ttl_ms, idle = tonumber(ARGV[3]), tonumber(ARGV[4]) * 1000, tonumber(ARGV[5])
local out, records = { epoch }, {}
for i = 1, n do
  local stream, data, exclude, kind = ARGV[5 + 4 * i], ARGV[6 + 4 * i], ARGV[7 + 4 * i], ARGV[8 + 4 * i]
  if kind == 't' then
    records[#records + 1] = 't' .. field(stream) .. field(exclude) .. field(data)
    out[#out + 1] = 0
  else
    local offsets, history = KEYS[1 + 2 * i], KEYS[2 + 2 * i]
    -- A re-created offsets hash starts above every offset its bucket gave, so an old client
    -- offset is never taken for a new message.
    local bucket = string.sub(redis.sha1hex(stream), 1, 3)
    local high = tonumber(redis.call('HGET', KEYS[2], bucket) or '0')
    local last = redis.call('HMGET', offsets, 'n', 'ms')
    local offset = tonumber(last[1] or high) + 1
    local ms = math.max(now, tonumber(last[2] or '0'))     -- ids never go back, whatever the clock
    redis.call('HSET', offsets, 'n', string.format('%d', offset), 'ms', string.format('%d', ms))
    redis.call('EXPIRE', offsets, idle)
    if offset > high then redis.call('HSET', KEYS[2], bucket, string.format('%d', offset)) end
    local id = string.format('%d-%d', ms, offset)
    local added = redis.pcall('XADD', history, 'MAXLEN', limit, id, 'd', data)
    if type(added) == 'table' and added.err then
      -- The history holds a higher id than its offsets allow (the offsets hash was lost): start
      -- afresh; readers then find the older offsets missing, which is the truth.
      redis.call('DEL', history)
      redis.call('XADD', history, 'MAXLEN', limit, id, 'd', data)
    end
    redis.call('XTRIM', history, 'MINID', string.format('%d', now - ttl_ms + 1))
    redis.call('PEXPIRE', history, ttl_ms)
    records[#records + 1] = 'm' .. field(epoch) .. field(string.format('%d', offset))
      .. field(stream) .. field(exclude) .. field(data)
    out[#out + 1] = offset
  end
end
redis.call('PUBLISH', ARGV[6], table.concat(records))
return out -- { epoch, offset or 0 per publication }; nil when the entry was taken already
