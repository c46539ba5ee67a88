-- history_from.lua: the messages of a stream after a client's offset, with the memory broker's
-- rules: an up-to-date client gets an empty success; otherwise the first missing message must
-- still be kept and live.
-- KEYS[1] $acrs:epoch  KEYS[2] $acrs:o:<stream>  KEYS[3] $acrs:h:<stream>
-- ARGV[1] candidate  ARGV[2] run id  ARGV[3] client's epoch  ARGV[4] client's offset  ARGV[5] ttl (s)
local epoch = current_epoch(KEYS[1], ARGV[1], ARGV[2])
if epoch ~= ARGV[3] then return { 'epoch' } end
local latest = redis.call('HGET', KEYS[2], 'n')
if not latest then return { 'missing' } end -- unknown or forgotten stream, as in memory
latest = tonumber(latest)
local offset = tonumber(ARGV[4])
if offset > latest then return { 'ahead' } end
local wanted = latest - offset
if wanted == 0 then return { 'ok', epoch, {} } end
local entries = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', wanted)
if #entries < wanted then return { 'missing' } end -- trimmed, expired or restarted
local ms, first = string.match(entries[#entries][1], '^(%d+)%-(%d+)$')
if tonumber(first) ~= offset + 1 or tonumber(ms) + tonumber(ARGV[5]) * 1000 <= now_ms() then
  return { 'missing' }
end
return { 'ok', epoch, entries } -- newest first
