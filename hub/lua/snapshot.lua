-- Stores a snapshot if it is newer than the stored one, then trims the log
-- behind it, keeping `keep` versions for clients that catch up.
-- KEYS[1] meta hash, KEYS[2] snapshot, KEYS[3] log stream
-- ARGV[1] version, ARGV[2] state, ARGV[3] keep
-- Returns 1 if stored, 0 if an equal or newer one was there, -1 if the
-- board does not exist, -2 if the version is ahead of the log.
local meta = redis.call('HMGET', KEYS[1], 'head', 'snapv', 'first')
if not meta[1] then
  return -1
end
local v = tonumber(ARGV[1])
if tonumber(meta[2]) >= v then
  return 0
end
if v > tonumber(meta[1]) then
  return -2
end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[1], 'snapv', v)
local keep = tonumber(ARGV[3])
if v > keep then
  local cut = v - keep
  if cut >= tonumber(meta[3]) then
    redis.call('XTRIM', KEYS[3], 'MINID', (cut + 1) .. '-0')
    redis.call('HSET', KEYS[1], 'first', cut + 1)
  end
end
return 1
