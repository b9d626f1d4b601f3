import type { RedisClient } from "../redis/client.js";
import { quotaLimits, type Config } from "../config.js";
import { RedisQuotas } from "./limits.js";

export { isAllowed, type AccessLists, type Who } from "./access.js";
export { RedisQuotas, type Quotas, type QuotaKind, type QuotaLimits, type QuotaVerdict } from "./limits.js";
export { quotaText } from "./message.js";
export { admit, type Admission } from "./admit.js";
export { MessageRateLimit, type MessageRate, type RateVerdict } from "./message-rate.js";

/** The hourly limits as configured (on by default when the operator's token is shared). */
export function createQuotas(config: Config, deps: { redis: RedisClient; prefix?: string }): RedisQuotas {
  return new RedisQuotas({ redis: deps.redis, prefix: deps.prefix ?? "nemo", limits: quotaLimits(config) });
}
