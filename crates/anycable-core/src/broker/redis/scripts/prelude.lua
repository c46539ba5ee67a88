-- prelude.lua: starts every script of the Redis broker (scripts.rs joins it to each body).
-- A field of a fan-out record: its byte length, ':', its bytes.
local function field(s) return #s .. ':' .. s end
-- Redis's clock in milliseconds (scripts are replicated by effects, so TIME is allowed).
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- The cluster's epoch, valid for one Redis process: missing (data lost) or stored by another run id
-- (restart, failover) -> the caller's fresh candidate becomes the epoch.
local function current_epoch(key, candidate, run_id)
  local stored = redis.call('GET', key)
  if stored then
    local epoch, run = string.match(stored, '^(%S+) (%S+)$')
    if run == run_id then return epoch end
  end
  redis.call('SET', key, candidate .. ' ' .. run_id)
  return candidate
end
