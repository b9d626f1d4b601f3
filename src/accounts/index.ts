import type { RedisClient } from "../redis/client.js";
import { decodeTokenKey, type Config } from "../config.js";
import type { Logger } from "../log.js";
import type { NemoApi } from "../nemo/types.js";
import { RedisPreferences } from "./preferences.js";
import { RedisAccounts } from "./redis-accounts.js";

export { RedisAccounts, type RedisAccountsOptions } from "./redis-accounts.js";
export { RedisPreferences } from "./preferences.js";
export { encryptToken, decryptToken, tokenFingerprint } from "./token-crypto.js";
export type * from "./types.js";

/**
 * Key prefix of users' tokens, sessions and preferences: under the queue prefix, so installs
 * sharing one Redis keep their users apart (and a `{braced}` prefix keeps one Cluster slot).
 */
export function accountsPrefix(config: Pick<Config, "QUEUE_PREFIX">): string {
  return `${config.QUEUE_PREFIX}:acct`;
}

/** Accounts and preferences as configured from the environment. */
export function createAccounts(
  config: Config,
  deps: { redis: RedisClient; nemo: NemoApi; logger?: Logger; prefix?: string },
): { accounts: RedisAccounts; preferences: RedisPreferences } {
  const prefix = deps.prefix ?? accountsPrefix(config);
  const tokenKey = config.TOKEN_KEY ? decodeTokenKey(config.TOKEN_KEY) : undefined;
  const accounts = new RedisAccounts({
    redis: deps.redis,
    prefix,
    nemo: deps.nemo,
    operatorToken: config.NEMO_TOKEN,
    tokenKey,
    // The lock outlives the backend call it guards.
    lock: { ttlMs: config.REQUEST_TIMEOUT_MS + 10_000, waitMs: config.REQUEST_TIMEOUT_MS * 2 + 10_000 },
    logger: deps.logger,
  });
  return { accounts, preferences: new RedisPreferences(deps.redis, prefix) };
}
