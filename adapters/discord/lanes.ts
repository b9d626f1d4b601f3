import { AsyncLocalStorage } from "node:async_hooks";
import { RateLimitError, type RateLimitData, type RESTOptions, type ResponseLike } from "@discordjs/rest";
import { RateLimitedError, SendSlotBusyError } from "../../src/errors.js";
import type { DiscordLane } from "./rate-limits.js";

/**
 * Which lane the Discord request under way belongs to, and what its bucket last answered.
 *
 * @discordjs/rest keeps each route's bucket (a channel's messages, an interaction webhook's token)
 * from Discord's X-RateLimit headers, and queues a request whose bucket is spent until it resets, in
 * arrival order. That is right for answers and videos, but a status message queued there holds back
 * every answer and video behind it in the same bucket, and many statuses spend the bucket first.
 * Before it waits on a spent bucket (or on the global limit, or after a 429) it asks
 * `rejectOnRateLimit`, which has no view of the request but its route: the lane travels with the
 * call in an AsyncLocalStorage, so one REST client (one view of every bucket) serves all lanes, and
 * only status and progress requests are refused there instead of waiting.
 */
interface LaneContext {
  lane: DiscordLane;
  /** The last response this call got was a 429 (Discord refused), not the client's own foresight. */
  answered429: boolean;
}

const current = new AsyncLocalStorage<LaneContext>();

/** Runs `work` (requests through @discordjs/rest) in `lane`; a refusal comes out as RateLimitedError. */
export async function inLane<T>(lane: DiscordLane, work: () => Promise<T>): Promise<T> {
  const context: LaneContext = { lane, answered429: false };
  try {
    return await current.run(context, work);
  } catch (error) {
    throw refusalOf(error, context) ?? error;
  }
}

/**
 * For `rejectOnRateLimit`: a status or progress request gives way (is refused, nothing sent) where
 * an answer would wait for its bucket. Requests outside any lane wait, as @discordjs/rest's default.
 */
export function givesWay(info: RateLimitData): boolean {
  const lane = current.getStore()?.lane;
  return (lane === "status" || lane === "progress") && info.retryAfter > 0;
}

/** Notes on the call's context whether Discord answered 429, so a refusal says who refused. */
export function noting429(makeRequest: RESTOptions["makeRequest"]): RESTOptions["makeRequest"] {
  return async (url, init): Promise<ResponseLike> => {
    const response = await makeRequest(url, init);
    const context = current.getStore();
    if (context) context.answered429 = response.status === 429;
    return response;
  };
}

/**
 * @discordjs/rest's RateLimitError (thrown where `givesWay` said so) as the bot's own words: a spent
 * bucket foreseen is SendSlotBusyError (Discord was not asked), a 429 is RateLimitedError, both with
 * the time until the bucket resets. Already translated errors pass through.
 */
export function refusalOf(error: unknown, context: LaneContext | undefined = current.getStore()): RateLimitedError | undefined {
  if (error instanceof RateLimitedError) return error;
  if (!(error instanceof RateLimitError)) return undefined;
  const retryAfterMs = Math.max(1, Math.ceil(error.retryAfter));
  const what = `${error.method.toUpperCase()} ${error.route}${error.global ? " (global)" : ""}`;
  return context?.answered429
    ? new RateLimitedError(`Discord rate-limited ${what}; retry after ${retryAfterMs} ms`, retryAfterMs)
    : new SendSlotBusyError(`Discord's bucket for ${what} is spent for ${retryAfterMs} ms`, retryAfterMs);
}
