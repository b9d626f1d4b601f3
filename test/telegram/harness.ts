import { createTelegramAdapter, type TelegramAdapter, type TelegramTuning } from "../../adapters/telegram/index.js";
import type { ChatMessage } from "../../src/chat/message.js";
import { loadConfig } from "../../src/config.js";
import { createLogger, type Logger } from "../../src/log.js";
import { skillProfile, type SkillProfileName } from "../../src/nemo/skills.js";
import { startFakeTelegram, type FakeTelegram } from "../fakes/telegram/server.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";
import { TELEGRAM_TIME_SCALE } from "../helpers/tuning.js";
import { FAST_TUNING, limiterRedis } from "../helpers/telegram-tuning.js";
import { expectWithinLimits } from "./within-limits.js";

export { FAST_TUNING, limiterRedis } from "../helpers/telegram-tuning.js";
export { expectWithinLimits } from "./within-limits.js";

/** Every log line, to check that no secret reaches the log. */
export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ level: "debug", destination: { write: (line: string) => void lines.push(line) } });
  return { logger, lines };
}

export interface Harness {
  fake: FakeTelegram;
  adapter: TelegramAdapter;
  /** What the adapter handed on, in order. */
  received: ChatMessage[];
  logLines: string[];
  /** Resolves with the first handed-on message that matches. */
  nextMessage(match?: (m: ChatMessage) => boolean, timeoutMs?: number): Promise<ChatMessage>;
  close(): Promise<void>;
}

export async function startHarness(options: { local?: boolean; skill?: SkillProfileName; env?: Record<string, string>; tuning?: TelegramTuning; start?: boolean } = {}): Promise<Harness> {
  const fake = await startFakeTelegram({ local: options.local, timeScale: TELEGRAM_TIME_SCALE });
  const redis = limiterRedis(testRedisUrl());
  const config = loadConfig({
    QUEUE_PREFIX: uniquePrefix("tg"),
    TELEGRAM_BOT_TOKEN: fake.token,
    TELEGRAM_API_ROOT: fake.apiRoot,
    TELEGRAM_LOCAL_API: options.local ? "1" : "0",
    ...options.env,
  });
  const { logger, lines } = captureLogger();
  const adapter = createTelegramAdapter(config, {
    logger,
    redis,
    skill: skillProfile(options.skill ?? "video-making-ai"),
    tuning: { ...FAST_TUNING, ...options.tuning },
  });
  const received: ChatMessage[] = [];
  const waiters = new Set<() => void>();
  if (options.start !== false) {
    await adapter.start(async (message) => {
      received.push(message);
      for (const w of [...waiters]) w();
    });
  }
  let consumed = 0;
  return {
    fake,
    adapter,
    received,
    logLines: lines,
    nextMessage(match = () => true, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const index = received.findIndex((m, i) => i >= consumed && match(m));
          if (index === -1) return false;
          consumed = index + 1;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(received[index] as ChatMessage);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching message handed on within ${timeoutMs} ms; got ${received.length}`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
    async close() {
      await adapter.stop();
      await fake.close();
      redis.disconnect();
      expectWithinLimits(fake);
    },
  };
}
