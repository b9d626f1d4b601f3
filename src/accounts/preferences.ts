import type { Redis } from "ioredis";
import type { Locale } from "../chat/message.js";
import { accountKeys, type AccountKeys } from "./keys.js";
import type { Preferences } from "./types.js";

const LOCALES: readonly Locale[] = ["en", "zh-CN"];

/** The `/lang` override, kept on the user's record next to their token. */
export class RedisPreferences implements Preferences {
  private readonly keys: AccountKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = accountKeys(prefix);
  }

  async locale(userKey: string): Promise<Locale | undefined> {
    const stored = await this.redis.hget(this.keys.user(userKey), "lang");
    return LOCALES.find((l) => l === stored);
  }

  async setLocale(userKey: string, locale: Locale | undefined): Promise<void> {
    if (locale) await this.redis.hset(this.keys.user(userKey), "lang", locale);
    else await this.redis.hdel(this.keys.user(userKey), "lang");
  }
}
