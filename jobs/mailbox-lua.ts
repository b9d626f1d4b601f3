/**
 * The mailbox's Lua scripts. Each runs atomically in Redis, which is what makes the hand-over
 * between "a message arrives" and "the drainer finds nothing left and stops" race-free: either the
 * push lands before the drainer's last look (and the drainer takes it) or after the drainer let go
 * (and the push sees no owner and asks for a new drainer). There is no moment in between.
 *
 * KEYS (all scripts): 1 queue, 2 current, 3 owner, 4 generation, 5 active-set.
 */
import { BULLMQ_ADD_STANDARD_JOB_FUNCTION } from "./bullmq-add-lua.js";

/**
 * Appends an item and, when no drainer owns the mailbox, makes the next generation the owner AND
 * creates its BullMQ job, all in this one script: there is no moment where an item waits with no
 * drainer job (see bullmq-add-lua.ts).
 *
 * KEYS 6–14: the session queue's keys, in the order BullMQ's add script takes them; 15 the hash of
 * the platform update the item came from (a key that is never written when ARGV 9 is ''); 16 the
 * update's handled mark (src/chat/update-claims.ts; never written unless ARGV 12 is '1').
 * ARGV: 1 envelope JSON, 2 session key, 3 "front" to run it next (a follow-up export) else "back",
 * 4 the session queue's key prefix (`<prefix>:session-work:`), 5 the drainer job id without its
 * generation (`drain-<session>-`), 6 now (ms), 7 the drainer job's options as JSON, 8 the most
 * items that may wait (0: no cap; a "front" item, the bot's own follow-up, is never refused),
 * 9 the item's field in its platform update's hash (KEYS 15, see src/chat/update-claims.ts), or ''
 * for an item no update asked for, 10 the item's id, 11 how long the hash (and the mark) is kept
 * (seconds), 12 '1' when this is the update's last item: the update is marked handled in the same
 * step as its last item is queued, so no command of its own follows the handling, and no crash can
 * fall between the two.
 * Returns { items ahead of it, owner generation, 1 when a new drainer (and its job) was created, 0, '' },
 * { items waiting, '', 0, 1, '' } when the mailbox is full and nothing was added, or
 * { 0, '', 0, 0, id } when its update queued this item already (as `id`) and nothing was added:
 * the record and the item go in together, so a re-delivered update can neither queue an item twice
 * nor find it recorded and never queued.
 */
export const SUBMIT = `
${BULLMQ_ADD_STANDARD_JOB_FUNCTION}
if ARGV[9] ~= '' then
  local queued = redis.call('HGET', KEYS[15], ARGV[9])
  if queued then return { 0, '', 0, 0, queued } end
end
local waiting = redis.call('LLEN', KEYS[1])
local cap = tonumber(ARGV[8])
if ARGV[3] ~= 'front' and cap > 0 and waiting >= cap then
  return { waiting, '', 0, 1, '' }
end
local ahead = waiting + redis.call('EXISTS', KEYS[2])
if ARGV[3] == 'front' then
  redis.call('LPUSH', KEYS[1], ARGV[1])
  ahead = redis.call('EXISTS', KEYS[2])
else
  redis.call('RPUSH', KEYS[1], ARGV[1])
end
local owner = redis.call('GET', KEYS[3])
local created = 0
if not owner then
  owner = tostring(redis.call('INCR', KEYS[4]))
  redis.call('SET', KEYS[3], owner)
  redis.call('SADD', KEYS[5], ARGV[2])
  created = 1
  local jobKeys = { KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10], KEYS[11], KEYS[12], KEYS[13], KEYS[14] }
  local jobId = ARGV[5] .. owner
  local data = cjson.encode({ sessionKey = ARGV[2], generation = owner })
  local args = cmsgpack.pack({ ARGV[4], jobId, 'drain', tonumber(ARGV[6]) })
  -- queue.add keeps the custom id in the options too.
  local opts = cjson.decode(ARGV[7])
  opts['jobId'] = jobId
  local added = bullmqAddStandardJob(jobKeys, { args, data, cmsgpack.pack(opts) })
  if type(added) == 'number' and added < 0 then
    return redis.error_reply('adding the drainer job failed: ' .. added)
  end
end
if ARGV[9] ~= '' then
  redis.call('HSET', KEYS[15], ARGV[9], ARGV[10])
  redis.call('EXPIRE', KEYS[15], tonumber(ARGV[11]))
end
if ARGV[12] == '1' then
  redis.call('SET', KEYS[16], '1', 'EX', tonumber(ARGV[11]))
end
return { ahead, owner, created, 0, '' }
`;

/**
 * The drainer of generation ARGV[1] asks for its next item (ARGV 2: session key).
 * Returns { "item", envelope JSON } (the current one again after a crash), { "released" } when the
 * mailbox is empty (ownership given up in the same step), or { "stale" } for a drainer that no
 * longer owns the mailbox (a duplicate job).
 */
export const CLAIM = `
local owner = redis.call('GET', KEYS[3])
if owner ~= ARGV[1] then return { 'stale' } end
local current = redis.call('GET', KEYS[2])
if current then return { 'item', current } end
local nextItem = redis.call('LPOP', KEYS[1])
if nextItem then
  redis.call('SET', KEYS[2], nextItem)
  return { 'item', nextItem }
end
redis.call('DEL', KEYS[3])
redis.call('SREM', KEYS[5], ARGV[2])
return { 'released' }
`;

/** The current item ARGV[2] is finished (only by its owner ARGV[1]). Returns 1 when it was removed. */
export const DONE = `
local owner = redis.call('GET', KEYS[3])
if owner ~= ARGV[1] then return 0 end
local current = redis.call('GET', KEYS[2])
if not current then return 0 end
local ok, decoded = pcall(cjson.decode, current)
if ok and decoded['id'] ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[2])
return 1
`;

/** /cancel: drops every waiting item (the current one is left to finish). Returns how many. */
export const CANCEL_QUEUED = `
local n = redis.call('LLEN', KEYS[1])
redis.call('DEL', KEYS[1])
return n
`;

/**
 * The repair sweep's first look, for a batch of mailboxes in one call: which have an owner whose
 * drainer job is missing, failed or completed. Only those are read one by one (repair.ts).
 *
 * KEYS: 1 the session queue's failed set, 2 its completed set, 3… each mailbox's owner key.
 * ARGV: 1 the session queue's key prefix (`<prefix>:session-work:`), 2… each mailbox's drainer job id
 * without its generation (`drain-<session>-`), in the order of the owner keys. The job's hash is
 * read under ARGV 1 as BullMQ's own scripts read it: under the prefix, in the Cluster slot of the
 * declared keys.
 * Returns the positions (1-based) of the mailboxes to look at. A job whose hash is there but in none
 * of BullMQ's lists ("unknown" to its getState) is not flagged: adding it again under its id would
 * change nothing, as BullMQ keeps a job it already has.
 */
export const DRAINERS_TO_CHECK = `
local suspects = {}
for i = 3, #KEYS do
  local owner = redis.call('GET', KEYS[i])
  if owner then
    local jobId = ARGV[i - 1] .. owner
    if redis.call('EXISTS', ARGV[1] .. jobId) == 0
      or redis.call('ZSCORE', KEYS[1], jobId)
      or redis.call('ZSCORE', KEYS[2], jobId) then
      suspects[#suspects + 1] = i - 2
    end
  end
end
return suspects
`;
