import type { RedisClient } from "../redis/client.js";
import type { Locale } from "../chat/message.js";
import { accountKeys, type AccountKeys } from "./keys.js";
import type { Preferences } from "./types.js";

const LOCALES: readonly Locale[] = ["en", "zh-CN"];

/** How long a user's language is trusted from memory before Redis is asked again. */
const CACHE_MS = 60_000;
/** Bounds the memory: past this many users the cache starts over. */
const CACHE_MAX = 50_000;

/**
 * The `/lang` override, kept on the user's record next to their token. It is read for every
 * message, so it is remembered in memory for a minute: a user's messages all reach the one bot
 * process of their platform, which also handles their `/lang` and updates its memory at once.
 */
export class RedisPreferences implements Preferences {
  private readonly keys: AccountKeys;
  private readonly cache = new Map<string, { locale: Locale | undefined; until: number }>();

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly now: () => number = Date.now,
  ) {
    this.keys = accountKeys(prefix);
  }

  async locale(userKey: string): Promise<Locale | undefined> {
    const cached = this.cache.get(userKey);
    if (cached && cached.until > this.now()) return cached.locale;
    const stored = await this.redis.hget(this.keys.user(userKey), "lang");
    const locale = LOCALES.find((l) => l === stored);
    this.remember(userKey, locale);
    return locale;
  }

  async setLocale(userKey: string, locale: Locale | undefined): Promise<void> {
    if (locale) await this.redis.hset(this.keys.user(userKey), "lang", locale);
    else await this.redis.hdel(this.keys.user(userKey), "lang");
    this.remember(userKey, locale);
  }

  private remember(userKey: string, locale: Locale | undefined): void {
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(userKey, { locale, until: this.now() + CACHE_MS });
  }
}
