import type { Redis } from "ioredis";
import { RedisAccounts, RedisPreferences } from "../../src/accounts/index.js";
import type { Outbox } from "../../src/chat/outbox.js";
import { UpdateClaims } from "../../src/chat/update-claims.js";
import type { Config } from "../../src/config.js";
import { silentLogger } from "../../src/log.js";
import type { NemoApi } from "../../src/nemo/index.js";
import { skillProfile } from "../../src/nemo/skills.js";
import { RedisQuotas } from "../../src/quota/index.js";
import type { RouterDeps } from "../../src/router/index.js";
import type { WorkQueue } from "../../src/work/types.js";

/**
 * A router's real parts on one Redis and prefix, as the bot process wires them: accounts without a
 * token key, no hourly quotas, preferences, update claims, a silent log. Tests spread it and
 * override the part they aim at (a work queue that dies, a message rate, another logger).
 */
export function routerDeps(options: { redis: Redis; prefix: string; config: Config; nemo: NemoApi; work: WorkQueue; outbox: Outbox }): RouterDeps {
  const { redis, prefix, config, nemo, work, outbox } = options;
  return {
    config,
    accounts: new RedisAccounts({ redis, prefix, nemo, tokenKey: undefined, operatorToken: undefined, lock: { pollMs: 5 } }),
    nemo,
    work,
    outbox: () => outbox,
    skill: skillProfile(config.SKILL_PROFILE),
    quotas: new RedisQuotas({ redis, prefix, limits: { turnsPerHour: 0, exportsPerHour: 0 } }),
    preferences: new RedisPreferences(redis, prefix),
    claims: new UpdateClaims(redis, prefix),
    logger: silentLogger,
  };
}
