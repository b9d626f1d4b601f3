/**
 * Whether an error only says that Redis could not be reached for a while (restarting, loading its
 * AOF, failing over), as opposed to an answer about the work itself. Work that meets one is tried
 * again later: telling a user "something went wrong" for it would drop work that would have
 * succeeded a few seconds later.
 *
 * Matched by name and message, as ioredis makes them: its error classes are not all exported.
 */

/** ioredis gave up on a command after its retries, or the connection was closed under it. */
const CLIENT_ERRORS = new Set(["MaxRetriesPerRequestError", "ClusterAllFailedError"]);

const CLIENT_MESSAGES = [
  "Connection is closed.",
  "Stream isn't writeable and enableOfflineQueue options is false",
  "Cluster isn't ready and enableOfflineQueue options is false",
  "Too many Cluster redirections.",
  "Failed to refresh slots cache.",
];

/** Redis's own answers while it cannot serve yet (loading the AOF, a cluster without its primary). */
const NOT_READY_REPLY = /^(LOADING|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|READONLY)\b/;

export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (CLIENT_ERRORS.has(error.name)) return true;
  if (error.name === "ReplyError") return NOT_READY_REPLY.test(error.message);
  return CLIENT_MESSAGES.some((message) => error.message.startsWith(message));
}
