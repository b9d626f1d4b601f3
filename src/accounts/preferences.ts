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
    const known = this.remembered(userKey);
    if (known) return known.locale;
    return this.stored(userKey, await this.redis.hget(this.languageKey(userKey), "lang"));
  }

  /** The language from memory, or undefined when Redis must be asked (`languageKey`, then `stored`). */
  remembered(userKey: string): { locale: Locale | undefined } | undefined {
    const cached = this.cache.get(userKey);
    return cached && cached.until > this.now() ? { locale: cached.locale } : undefined;
  }

  /** The hash whose `lang` field holds the user's language (read along with other things by the router). */
  languageKey(userKey: string): string {
    return this.keys.user(userKey);
  }

  /** The language a read of `languageKey` found, remembered as `locale` would. */
  stored(userKey: string, value: string | null): Locale | undefined {
    const locale = LOCALES.find((l) => l === value);
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
