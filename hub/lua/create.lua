-- Creates a board unless it exists.
-- KEYS[1] meta hash, KEYS[2] snapshot
-- ARGV[1] epoch, ARGV[2] state, ARGV[3] version of the state
-- Returns 1 if created, 0 if it existed.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
local v = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'head', v, 'epoch', ARGV[1], 'snapv', v, 'first', v + 1)
redis.call('SET', KEYS[2], ARGV[2])
return 1
