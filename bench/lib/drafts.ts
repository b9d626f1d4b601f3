import { createAccounts } from "../../src/accounts/index.js";
import { loadConfig } from "../../src/config.js";
import { createNemoClient } from "../../src/nemo/index.js";
import { skillProfile } from "../../src/nemo/skills.js";
import type { RedisClient } from "../../src/redis/client.js";

/**
 * One generation turn for each of `count` Telegram users (chat ids from `firstChat`), through the
 * accounts code the bot uses, so each user's draft can be exported. Runs in the driver before the
 * processes under test start, so they only do the exports.
 */
export async function makeDrafts(env: Record<string, string>, redis: RedisClient, count: number, firstChat: number): Promise<void> {
  const config = loadConfig({ ...env, ROLE: "worker" });
  const nemo = createNemoClient(config, skillProfile(config.SKILL_PROFILE));
  const { accounts } = createAccounts(config, { redis, nemo });
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const chat = String(firstChat + next++);
      await accounts.withSession({ platform: "telegram", userKey: `telegram:${chat}`, chatId: chat, locale: "en" }, async (session) => {
        for await (const event of nemo.streamTurn(session.auth, session.sessionId, "generate a 5 second video of a sunset over the sea")) {
          if (event.type === "error") throw new Error(`setup turn failed: ${event.message}`);
        }
      });
    }
  };
  await Promise.all(Array.from({ length: 50 }, lane));
}
