/**
 * The shared rate limiter's Lua scripts: GCRA (the generic cell rate algorithm) with reservations.
 * Each scope (the whole bot, one chat) keeps one number in Redis, its "theoretical arrival time"
 * (TAT): when its next send is due if sends kept exactly to the rate. A send may go once
 * `TAT - tolerance` has passed, and takes the scope's next slot by moving its TAT one interval on.
 * Time is Redis's own clock (TIME), so processes on machines with skewed clocks still agree.
 *
 * A reservation may lie in the future: the caller learns how long to wait and sleeps, having
 * already taken its slot, so concurrent callers across processes queue in arrival order without
 * polling. A caller that accepts only a short wait (a status edit) takes nothing when the queue is
 * longer than that: busy scopes refuse the least important sends first.
 */

/**
 * KEYS: one per scope. ARGV[1]: the longest wait in ms the caller accepts (-1: any).
 * ARGV[2i], ARGV[2i+1]: scope i's interval and tolerance in ms.
 * Returns { 1, wait, i, deferred } when a slot `wait` ms from now was reserved, or { 0, wait, i }
 * when the wait would be longer than accepted (nothing reserved); `i` (1-based, 0: none) is the
 * scope whose queue set the wait, so a process can remember which scope is busy.
 *
 * `deferred` (a bit per scope, 1 << (i - 1)) names the scopes NOT reserved: those whose own next
 * slot comes more than one of their intervals before the send's. A GCRA scope has one TAT and no
 * holes, so reserving the bot's scope at a busy group's slot 9 s away would hold every other
 * chat's send back those 9 s (one person's crowded group would delay everyone's answers). The
 * caller takes a deferred scope once the send's slot has come (it gives up one slot at most).
 */
export const RESERVE = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000
local at = now
local busiest = 0
local tats = {}
local earliest = {}
for i = 1, #KEYS do
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  if tat < now then tat = now end
  tats[i] = tat
  earliest[i] = math.max(now, tat - tonumber(ARGV[2 * i + 1]))
  if earliest[i] > at then
    at = earliest[i]
    busiest = i
  end
end
local wait = at - now
local maxWait = tonumber(ARGV[1])
if maxWait >= 0 and wait > maxWait then return { 0, math.ceil(wait), busiest } end
local deferred = 0
for i = 1, #KEYS do
  local interval = tonumber(ARGV[2 * i])
  if at - earliest[i] > interval then
    deferred = deferred + 2 ^ (i - 1)
  else
    local tat = math.max(tats[i], at) + interval
    redis.call('SET', KEYS[i], string.format('%.3f', tat), 'PX', math.ceil(tat - now) + 1000)
  end
end
return { 1, math.ceil(wait), busiest, deferred }
`;

/**
 * `gcraReserve(KEYS, ARGV)`: RESERVE as a local Lua function (it reads the globals KEYS and ARGV;
 * parameters of those names make it read ours), for a script that takes a slot along with reading
 * other things (src/chat/update-claims.ts: a message's first read).
 */
export const GCRA_RESERVE_FUNCTION = `local function gcraReserve(KEYS, ARGV)\n${RESERVE}\nend\n`;

/**
 * After the platform answered 429: no send in these scopes for ARGV[1] ms.
 * KEYS: the scopes. ARGV[1]: the pause in ms; ARGV[1+i]: scope i's tolerance in ms.
 */
export const PAUSE = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000
for i = 1, #KEYS do
  local resume = now + tonumber(ARGV[1]) + tonumber(ARGV[1 + i])
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  if resume > tat then
    redis.call('SET', KEYS[i], string.format('%.3f', resume), 'PX', math.ceil(resume - now) + 1000)
  end
end
return 1
`;

/** KEYS[1]: a counter; ARGV[1]: its window in ms. Counts one event and returns the events in the window. */
export const COUNT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
`;
