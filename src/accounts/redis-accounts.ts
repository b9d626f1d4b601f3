import { randomUUID } from "node:crypto";
import type { RedisClient } from "../redis/client.js";
import { ChatError, NemoError, isNemoError } from "../errors.js";
import { silentLogger, type Logger } from "../log.js";
import type { NemoApi, NemoAuth } from "../nemo/types.js";
import { accountKeys, type AccountKeys } from "./keys.js";
import { withLock, type LockOptions } from "./lock.js";
import { decryptToken, encryptToken, tokenFingerprint } from "./token-crypto.js";
import type { Accounts, SessionContext, SessionRef, TokenKind, TokenStore } from "./types.js";

export interface RedisAccountsOptions {
  redis: RedisClient;
  /** Key prefix of everything kept here (tests pass a unique one). */
  prefix: string;
  nemo: Pick<NemoApi, "anonymousToken" | "createSession">;
  /** The operator's `NEMO_TOKEN`, used by everyone without a token of their own. */
  operatorToken?: string;
  /** `decodeTokenKey(TOKEN_KEY)`: without it users' own tokens are refused. */
  tokenKey?: Buffer;
  lock?: Partial<LockOptions>;
  /** Renew an anonymous token this long before its `expires_at` (default 1 minute). */
  renewMarginMs?: number;
  logger?: Logger;
  now?: () => number;
}

/** A token ready to use, and whose account it is (a session belongs to one account). */
interface ResolvedToken {
  token: string;
  kind: TokenKind;
  /** `user:<fingerprint>`, `operator:<fingerprint>` or `anon:<client id>`: never the token itself. */
  owner: string;
}

const ANON_LIFETIME_FALLBACK_MS = 7 * 24 * 3600_000;

/**
 * Each chat user's NemoVideo token and sessions in Redis. Token order: the user's own (encrypted),
 * else the operator's, else an anonymous one per user with a stable X-Client-Id. One session per
 * user per chat, made on first need in the user's language.
 */
export class RedisAccounts implements Accounts, TokenStore {
  private readonly redis: RedisClient;
  private readonly keys: AccountKeys;
  private readonly nemo: RedisAccountsOptions["nemo"];
  private readonly operator: ResolvedToken | undefined;
  private readonly tokenKey: Buffer | undefined;
  private readonly lockOptions: LockOptions;
  private readonly renewMarginMs: number;
  private readonly logger: Logger;
  private readonly now: () => number;

  constructor(options: RedisAccountsOptions) {
    this.redis = options.redis;
    this.keys = accountKeys(options.prefix);
    this.nemo = options.nemo;
    this.operator = options.operatorToken
      ? { token: options.operatorToken, kind: "operator", owner: `operator:${tokenFingerprint(options.operatorToken)}` }
      : undefined;
    this.tokenKey = options.tokenKey;
    this.lockOptions = { ttlMs: 60_000, pollMs: 20, waitMs: 90_000, ...options.lock };
    this.renewMarginMs = options.renewMarginMs ?? 60_000;
    this.logger = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
  }

  get canStoreUserTokens(): boolean {
    return this.tokenKey !== undefined;
  }

  async session(ref: SessionRef): Promise<SessionContext> {
    return this.sessionFor(ref, await this.resolveToken(ref.userKey));
  }

  async withSession<T>(ref: SessionRef, work: (context: SessionContext) => Promise<T>): Promise<T> {
    // Each recovery at most once: a week-old user can meet both an expired token (1001) and,
    // with the renewed token, a session that is gone too (1002).
    let renewedToken = false;
    let renewedSession = false;
    let token: ResolvedToken | undefined;
    let context: SessionContext | undefined;
    for (;;) {
      try {
        token ??= await this.resolveToken(ref.userKey);
        context ??= await this.sessionFor(ref, token);
        return await work(context);
      } catch (error) {
        if (!token) throw error;
        if (!renewedToken && isNemoError(error, "token_invalid") && token.kind === "anonymous") {
          renewedToken = true;
          this.logger.info({ userKey: ref.userKey }, "anonymous token refused (1001): renewing with the same client id");
          token = await this.renewAnonymous(ref.userKey, token.token);
          context = undefined;
          continue;
        }
        if (!renewedSession && isNemoError(error, "session_not_found") && context) {
          renewedSession = true;
          this.logger.info({ userKey: ref.userKey, chatId: ref.chatId }, "session gone (1002): starting a new one");
          context = { ...(await this.sessionFor(ref, token, context.sessionId)), replacedLostSession: true };
          continue;
        }
        throw error;
      }
    }
  }

  async withExistingSession<T>(ref: SessionRef, work: (context: SessionContext) => Promise<T>, sessionId?: string): Promise<T> {
    let token = await this.resolveToken(ref.userKey);
    const existing = async (): Promise<SessionContext> => {
      const stored = await this.redis.hgetall(this.keys.session(ref.userKey, ref.chatId));
      const mine = stored.sessionId !== undefined && stored.owner === token.owner ? stored : {};
      const id = sessionId ?? mine.sessionId;
      if (id === undefined) throw new NemoError("session_not_found", "this chat has no session to read (reads create none)");
      return this.context(token, { ...mine, sessionId: id });
    };
    try {
      return await work(await existing());
    } catch (error) {
      if (!(isNemoError(error, "token_invalid") && token.kind === "anonymous")) throw error;
      this.logger.info({ userKey: ref.userKey }, "anonymous token refused (1001) on a read: renewing with the same client id");
      token = await this.renewAnonymous(ref.userKey, token.token);
      return work(await existing());
    }
  }

  async resetSession(ref: SessionRef): Promise<void> {
    await this.redis.del(this.keys.session(ref.userKey, ref.chatId));
  }

  async withToken<T>(userKey: string, work: (auth: NemoAuth, kind: TokenKind) => Promise<T>): Promise<T> {
    const token = await this.resolveToken(userKey);
    try {
      return await work({ token: token.token }, token.kind);
    } catch (error) {
      if (!(isNemoError(error, "token_invalid") && token.kind === "anonymous")) throw error;
      const renewed = await this.renewAnonymous(userKey, token.token);
      return work({ token: renewed.token }, renewed.kind);
    }
  }

  async setUserToken(userKey: string, token: string): Promise<void> {
    if (!this.tokenKey) throw new ChatError("token_storage_off", "no TOKEN_KEY: users' own tokens cannot be stored");
    await this.redis.hset(this.keys.user(userKey), "ownToken", encryptToken(this.tokenKey, userKey, token));
  }

  async clearUserToken(userKey: string): Promise<boolean> {
    return (await this.redis.hdel(this.keys.user(userKey), "ownToken")) > 0;
  }

  async tokenKind(userKey: string): Promise<TokenKind> {
    const sealed = await this.redis.hget(this.keys.user(userKey), "ownToken");
    if (sealed && this.openOwnToken(userKey, sealed)) return "user";
    return this.operator ? "operator" : "anonymous";
  }

  /** The token this user's next call uses; an anonymous one is made or renewed when needed. */
  private async resolveToken(userKey: string): Promise<ResolvedToken> {
    const [sealed, clientId, anonToken, anonExpiresAt] = await this.redis.hmget(
      this.keys.user(userKey),
      "ownToken",
      "clientId",
      "anonToken",
      "anonExpiresAt",
    );
    const own = sealed ? this.openOwnToken(userKey, sealed) : undefined;
    if (own) return { token: own, kind: "user", owner: `user:${tokenFingerprint(own)}` };
    if (this.operator) return this.operator;
    const current = anonToken ? this.openAnonymous(userKey, anonToken) : undefined;
    if (current && clientId && this.fresh(anonExpiresAt)) return { token: current, kind: "anonymous", owner: `anon:${clientId}` };
    return this.renewAnonymous(userKey, current);
  }

  /**
   * Makes (or renews, after 1001 or at expiry) the user's anonymous token under a lock, with the
   * user's one client id. `stale` is the token known to be bad: if another caller already replaced
   * it while we waited for the lock, theirs is used and the backend is not asked twice.
   */
  private async renewAnonymous(userKey: string, stale: string | undefined): Promise<ResolvedToken> {
    const key = this.keys.user(userKey);
    return withLock(this.redis, this.keys.lock("token", userKey), this.lockOptions, async () => {
      const [clientIdNow, anonToken, anonExpiresAt] = await this.redis.hmget(key, "clientId", "anonToken", "anonExpiresAt");
      const current = anonToken ? this.openAnonymous(userKey, anonToken) : undefined;
      if (clientIdNow && current && current !== stale && this.fresh(anonExpiresAt)) {
        return { token: current, kind: "anonymous", owner: `anon:${clientIdNow}` };
      }
      // The client id is kept before asking, so a failed first try reuses it next time.
      let clientId = clientIdNow;
      if (!clientId) {
        await this.redis.hsetnx(key, "clientId", randomUUID());
        clientId = (await this.redis.hget(key, "clientId")) ?? undefined;
        if (!clientId) throw new ChatError("accounts_broken", "client id vanished from Redis");
      }
      const issued = await this.nemo.anonymousToken(clientId);
      const expiresAt = Date.parse(issued.expiresAt);
      await this.redis.hset(key, {
        anonToken: this.sealAnonymous(userKey, issued.token),
        anonExpiresAt: String(Number.isFinite(expiresAt) ? expiresAt : this.now() + ANON_LIFETIME_FALLBACK_MS),
        anonUserId: issued.userId,
      });
      return { token: issued.token, kind: "anonymous", owner: `anon:${clientId}` };
    });
  }

  /**
   * The chat's session when it exists under this account and is not the one just found gone;
   * else a new one, made under a lock so concurrent first messages share it.
   */
  private async sessionFor(ref: SessionRef, token: ResolvedToken, goneSessionId?: string): Promise<SessionContext> {
    const key = this.keys.session(ref.userKey, ref.chatId);
    const usable = (stored: Record<string, string>) =>
      stored.sessionId !== undefined && stored.owner === token.owner && stored.sessionId !== goneSessionId;

    const stored = await this.redis.hgetall(key);
    if (usable(stored)) return this.context(token, stored);
    return withLock(this.redis, this.keys.lock("session", ref.userKey, ref.chatId), this.lockOptions, async () => {
      const again = await this.redis.hgetall(key);
      if (usable(again)) return this.context(token, again);
      const created = await this.nemo.createSession({ token: token.token }, { language: ref.locale });
      const record: Record<string, string> = {
        sessionId: created.sessionId,
        owner: token.owner,
        taskId: created.taskId,
        language: ref.locale,
        createdAt: String(this.now()),
      };
      if (created.bindId) record.bindId = created.bindId;
      await this.redis.multi().del(key).hset(key, record).exec();
      return this.context(token, record);
    });
  }

  private context(token: ResolvedToken, stored: Record<string, string>): SessionContext {
    const context: SessionContext = { auth: { token: token.token }, sessionId: stored.sessionId ?? "", tokenKind: token.kind };
    if (stored.bindId) context.bindId = stored.bindId;
    return context;
  }

  private fresh(expiresAt: string | null | undefined): boolean {
    const at = Number(expiresAt);
    return Number.isFinite(at) && at - this.renewMarginMs > this.now();
  }

  private openOwnToken(userKey: string, sealed: string): string | undefined {
    if (!this.tokenKey) return undefined;
    try {
      return decryptToken(this.tokenKey, userKey, sealed);
    } catch (error) {
      this.logger.warn({ userKey, err: error }, "a user's stored token does not decrypt (TOKEN_KEY changed?): ignoring it");
      return undefined;
    }
  }

  // Anonymous tokens are sealed too when a key is set; without one they are kept as the backend gave them.
  private sealAnonymous(userKey: string, token: string): string {
    return this.tokenKey ? encryptToken(this.tokenKey, userKey, token) : token;
  }

  private openAnonymous(userKey: string, stored: string): string | undefined {
    if (!stored.startsWith("v1:")) return stored;
    if (!this.tokenKey) return undefined;
    try {
      return decryptToken(this.tokenKey, userKey, stored);
    } catch {
      return undefined;
    }
  }
}
