-- Appends consecutive records to a board's log if its head is the one
-- expected, bumps the head and publishes the records, in one atomic step:
-- this is what orders a board's versions across instances.
-- KEYS[1] meta hash, KEYS[2] log stream
-- ARGV[1] channel, ARGV[2] version of the first record, ARGV[3] id of the
-- committing instance (which skips its own message), ARGV[4..] records
-- Returns the new head, -1 if the board does not exist, -2 on a conflict.
local head = redis.call('HGET', KEYS[1], 'head')
if not head then
  return -1
end
local v = tonumber(head)
if v + 1 ~= tonumber(ARGV[2]) then
  return -2
end
for i = 4, #ARGV do
  v = v + 1
  redis.call('XADD', KEYS[2], v .. '-0', 'd', ARGV[i])
end
redis.call('HSET', KEYS[1], 'head', v)
-- The payload is the instance id and a JSON array of the entries, each
-- with its "v"; most commits hold one record, which needs no table.
if #ARGV == 4 then
  redis.call('PUBLISH', ARGV[1], ARGV[3] .. '[' .. ARGV[4] .. ']')
else
  redis.call('PUBLISH', ARGV[1], ARGV[3] .. '[' .. table.concat(ARGV, ',', 4) .. ']')
end
return v
