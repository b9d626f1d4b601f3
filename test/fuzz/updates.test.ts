import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { ButtonInteraction, ChatInputCommandInteraction, Client } from "discord.js";
import type { Message, Update, UserFromGetMe } from "grammy/types";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { interactionToMessage } from "../../adapters/discord/to-chat-message.js";
import { tokenSeal } from "../../adapters/discord/seal.js";
import { callbackToChatMessage, readMessageUpdate } from "../../adapters/telegram/to-chat-message.js";
import { RedisAccounts, RedisPreferences } from "../../src/accounts/index.js";
import { classify } from "../../src/chat/intents.js";
import type { ChatMessage } from "../../src/chat/message.js";
import { UpdateClaims } from "../../src/chat/update-claims.js";
import { loadConfig } from "../../src/config.js";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { createLogger } from "../../src/log.js";
import { createNemoClient } from "../../src/nemo/index.js";
import { skillProfile } from "../../src/nemo/skills.js";
import { RedisQuotas } from "../../src/quota/index.js";
import { createRouter, type Router } from "../../src/router/index.js";
import type { CancelOneOutcome, WorkEnvelope, WorkQueue } from "../../src/work/types.js";
import { mulberry32, randomSeed } from "../helpers/random.js";
import { RecordingOutbox } from "../helpers/recording-outbox.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";

/**
 * Random and mutated Telegram updates and Discord interactions thrown at the adapters' own
 * update-handling code (the functions their bot.on / InteractionCreate handlers call) and at the
 * router: nothing may throw, no promise may be left rejected, and every private message is
 * answered (a reply or queued work) or deliberately ignored. FUZZ_COUNT raises the count
 * (default 100,000); every FUZZ_ROUTER_EVERY-th input (default 50) also goes through the whole
 * router against Redis and the emulator, the rest through conversion and classification.
 * FAULT_SEED replays a run.
 */

const COUNT = Number(process.env.FUZZ_COUNT ?? 100_000);
const ROUTER_EVERY = Number(process.env.FUZZ_ROUTER_EVERY ?? 50);
const SEED = randomSeed();
const random = mulberry32(SEED);
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
const chance = (p: number): boolean => random() < p;

const ODD_TEXT = [
  "",
  " ",
  "\u200b\u200b",
  "\u202e\u2066drawkcab\u2069",
  "\u0000\u0007\u001b[31m",
  "half \ud83d a smile \udc00",
  "👨‍👩‍👧‍👦🎬".repeat(50),
  "e\u0301\u0301\u0301\u0301",
  "/export",
  "/export@NemoCutBot 1080p",
  "/export@other_bot",
  "/token nmv_usr_abc",
  "/token " + "x".repeat(600),
  "/lang zh",
  "/cancel 2",
  "/nosuchcommand",
  "credits",
  "余额",
  "导出",
  "timeline",
  "@NemoCutBot cut it to 3 seconds",
  "cut it to 3 seconds and add the title \"Hi\"",
  "{\"json\": [1, 2, {\"deep\": null}]}",
  "```json\n{\"a\":1}\n```",
  "token: nmv_usr_secret_value",
  "x".repeat(5_000),
  " \t".repeat(3_000),
];

function oddString(): string {
  const roll = random();
  if (roll < 0.6) return pick(ODD_TEXT);
  if (roll < 0.8) return Array.from({ length: Math.floor(random() * 40) }, () => String.fromCharCode(Math.floor(random() * 0xffff))).join("");
  if (roll < 0.95) return pick(ODD_TEXT) + pick(ODD_TEXT);
  return pick(["a", "{", ".", " ", "\n", "x y "]).repeat(Math.floor(random() * 120_000));
}

/** A value of the wrong kind for whatever field it lands in. */
function wrongValue(): unknown {
  return pick<() => unknown>([
    () => null,
    () => undefined,
    () => -1,
    () => Number.MAX_SAFE_INTEGER,
    () => Number.NaN,
    () => oddString(),
    () => [],
    () => ({}),
    () => [oddString()],
    () => true,
  ])();
}

/** Mutates a JSON-like tree in place: deletes fields, swaps types, blows strings up. */
function mutate(value: unknown, depth = 0, protectedKeys: ReadonlySet<string> = new Set()): void {
  if (value === null || typeof value !== "object" || depth > 6) return;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (protectedKeys.has(key) && depth <= 1) {
      mutate(record[key], depth + 1, protectedKeys);
      continue;
    }
    const roll = random();
    if (roll < 0.08) delete record[key];
    else if (roll < 0.16) record[key] = wrongValue();
    else if (roll < 0.22 && typeof record[key] === "string") record[key] = oddString();
    else mutate(record[key], depth + 1, protectedKeys);
  }
}

const BOT: UserFromGetMe = {
  id: 42,
  is_bot: true,
  first_name: "Nemo",
  username: "NemoCutBot",
  can_join_groups: true,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
} as UserFromGetMe;

let updateId = 0;

/** A Telegram update: the fields Telegram always sends stay (it is Telegram's contract), everything else may be odd. */
function telegramUpdate(): { update: Update; message?: Message; callback: boolean } {
  updateId += 1;
  const chatId = chance(0.7) ? 1_000 + Math.floor(random() * 50) : -100_000 - Math.floor(random() * 20);
  const chat = chatId > 0 ? { id: chatId, type: "private", first_name: oddString() } : { id: chatId, type: pick(["group", "supergroup", "channel"]), title: oddString() };
  const from = { id: Math.abs(chatId), is_bot: false, first_name: oddString(), username: oddString(), language_code: pick(["en", "zh-hans", "zh-TW", "", oddString()]) };
  const message: Record<string, unknown> = { message_id: updateId, date: 1, chat, from };
  const body = random();
  if (body < 0.5) message.text = oddString();
  if (chance(0.3)) message.entities = [{ type: pick(["bot_command", "mention", "text_mention", "bold"]), offset: Math.floor(random() * 5) - 1, length: Math.floor(random() * 30), user: chance(0.5) ? { id: 42 } : undefined }];
  if (body >= 0.5 && body < 0.65) message.video = { file_id: oddString(), file_unique_id: "u", width: 1, height: 1, duration: 1, file_size: Math.floor(random() * 3e9), mime_type: pick(["video/mp4", "video/quicktime", oddString()]), file_name: oddString() };
  if (body >= 0.65 && body < 0.75) message.photo = Array.from({ length: Math.floor(random() * 4) }, () => ({ file_id: oddString(), file_unique_id: "u", width: Math.floor(random() * 2000), height: Math.floor(random() * 2000), file_size: Math.floor(random() * 1e7) }));
  if (body >= 0.75 && body < 0.85) message.document = { file_id: oddString(), file_unique_id: "u", file_name: oddString(), mime_type: oddString(), file_size: Math.floor(random() * 3e9) };
  if (body >= 0.85 && body < 0.9) message.sticker = { file_id: "s", file_unique_id: "u", type: "regular", width: 1, height: 1, is_animated: false, is_video: false };
  if (body >= 0.9 && body < 0.93) message.pinned_message = { message_id: 1, date: 1, chat: structuredClone(chat) };
  if (chance(0.2)) message.caption = oddString();
  if (chance(0.1)) message.media_group_id = String(Math.floor(random() * 5));
  if (chance(0.1)) message.reply_to_message = { message_id: 1, date: 1, chat: structuredClone(chat), from: chance(0.5) ? { id: 42, is_bot: true, first_name: "Nemo" } : from };
  if (chance(0.05)) Object.assign(message, { is_topic_message: true, message_thread_id: Math.floor(random() * 10) });
  mutate(message, 0, new Set(["message_id", "date", "chat", "id", "type"]));
  if (chance(0.1)) {
    const query = { id: String(updateId), from: structuredClone(from), chat_instance: "c", data: pick(["export", "timeline", "credits", "timeline:refresh", oddString()]), message: chance(0.9) ? message : undefined };
    mutate(query, 0, new Set(["id", "from", "message"]));
    return { update: { update_id: updateId, callback_query: query } as unknown as Update, callback: true };
  }
  return { update: { update_id: updateId, message } as unknown as Update, message: message as unknown as Message, callback: false };
}

/** A Discord interaction as the gateway delivers it (API v10), mutated; built into discord.js's own classes. */
function discordInteraction(client: Client): ChatInputCommandInteraction | ButtonInteraction | undefined {
  updateId += 1;
  const inGuild = chance(0.4);
  const user = { id: String(100_000 + Math.floor(random() * 50)), username: oddString(), global_name: chance(0.5) ? oddString() : null, discriminator: "0", avatar: null };
  const button = chance(0.2);
  const data: Record<string, unknown> = {
    id: String(1_000_000_000 + updateId),
    application_id: "7",
    // Fields Discord always sends with an interaction (discord.js reads them unconditionally).
    entitlements: [],
    authorizing_integration_owners: {},
    app_permissions: "0",
    type: button ? 3 : 2,
    token: randomBytes(8).toString("hex"),
    version: 1,
    channel_id: String(500 + Math.floor(random() * 10)),
    locale: pick(["en-US", "zh-CN", "", oddString()]),
    attachment_size_limit: pick([10_485_760, 0, -1, 2 ** 40]),
    ...(inGuild ? { guild_id: "9", member: { user, roles: [], joined_at: "2024-01-01T00:00:00Z", permissions: "0", deaf: false, mute: false } } : { user }),
    data: button
      ? { custom_id: pick(["export", "timeline", "credits", "timeline:refresh", oddString()]), component_type: 2 }
      : {
          id: "1",
          name: pick(["edit", "export", "timeline", "credits", "help", "new", "cancel", "token", "lang", "upload", oddString()]),
          type: 1,
          options: chance(0.7) ? [{ name: pick(["prompt", "value", "file", "language", oddString()]), type: pick([3, 11, 4]), value: pick<unknown>([oddString(), "att1", 3, null]) }] : undefined,
          resolved: chance(0.3)
            ? { attachments: { att1: { id: "att1", filename: oddString(), size: Math.floor(random() * 3e9), url: "https://cdn.discordapp.com/x", proxy_url: "https://media.discordapp.net/x", content_type: pick(["video/mp4", oddString(), null]) } } }
            : undefined,
        },
  };
  mutate(data.data, 1);
  try {
    // discord.js builds these from the gateway's payload itself; their constructors are not public in its types.
    type Built = new (client: Client, data: unknown) => ChatInputCommandInteraction | ButtonInteraction;
    const Kind = (button ? ButtonInteraction : ChatInputCommandInteraction) as unknown as Built;
    return new Kind(client, data);
  } catch {
    // discord.js itself refuses the payload (its gateway would too): not our code's to handle.
    return undefined;
  }
}

class CountingWork implements WorkQueue {
  submitted = 0;
  async submit(_envelope: WorkEnvelope): Promise<{ position: number }> {
    this.submitted += 1;
    return { position: 0 };
  }
  async cancel(): Promise<"nothing"> {
    return "nothing";
  }
  async overview(): Promise<[]> {
    return [];
  }
  async cancelOne(): Promise<CancelOneOutcome> {
    return { outcome: "not-found" };
  }
}

let redis: Redis;
let emulator: Emulator;
let router: Router;
const outbox = new RecordingOutbox();
const work = new CountingWork();
const failures: string[] = [];

beforeAll(async () => {
  redis = new Redis(testRedisUrl());
  emulator = await startEmulator({ anonymousPerIpLimit: Infinity });
  const config = loadConfig({ NEMO_API_BASE: emulator.url, LOG_LEVEL: "error" });
  const nemo = createNemoClient(config, { source: "video-making-ai", version: "1.9" });
  const prefix = uniquePrefix("fuzz");
  const logger = createLogger({
    level: "error",
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        if (chunk.toString().includes("handling a message failed")) failures.push(chunk.toString().slice(0, 600));
        done();
      },
    }),
  });
  router = createRouter({
    config,
    accounts: new RedisAccounts({ redis, prefix, nemo, tokenKey: randomBytes(32), operatorToken: undefined, lock: { pollMs: 5 } }),
    nemo,
    work,
    outbox: () => outbox,
    skill: skillProfile(config.SKILL_PROFILE),
    quotas: new RedisQuotas({ redis, prefix, limits: { turnsPerHour: 0, exportsPerHour: 0 } }),
    preferences: new RedisPreferences(redis, prefix),
    claims: new UpdateClaims(redis, prefix),
    logger,
    botUsername: () => BOT.username,
  });
});

afterAll(async () => {
  await redis.quit();
  await emulator.close();
});

describe(`fuzz: ${COUNT} random and mutated updates (seed ${SEED}, FAULT_SEED=${SEED} replays)`, () => {
  it("nothing throws, nothing is left rejected, every private message is answered or deliberately ignored", { timeout: 600_000 }, async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    const client = new Client({ intents: [] });
    const seal = tokenSeal("fuzz-bot-token");
    const silentPrivate: string[] = [];
    let routed = 0;
    let discordBuilt = 0;
    try {
      for (let i = 0; i < COUNT; i++) {
        let message: ChatMessage | undefined;
        let privateInput = false;
        if (chance(0.6)) {
          const { update, message: raw, callback } = telegramUpdate();
          privateInput = (raw?.chat?.type ?? update.callback_query?.message?.chat?.type) === "private";
          message = callback
            ? update.callback_query
              ? callbackToChatMessage(update, update.callback_query, BOT.id)
              : undefined
            : raw && readMessageUpdate(update, raw, BOT);
          // A private message is ignored only when it is a service message (a pin): nobody wrote it.
          if (privateInput && !callback && !message && !("pinned_message" in (raw ?? {}))) silentPrivate.push(JSON.stringify(raw).slice(0, 300));
        } else {
          const interaction = discordInteraction(client);
          if (!interaction) continue;
          discordBuilt += 1;
          message = interactionToMessage(interaction, { windowMs: 840_000, ephemeral: chance(0.2), seal });
          privateInput = message.chatKind === "private";
        }
        if (!message) continue;
        const intent = classify(message, BOT.username);
        if (i % ROUTER_EVERY !== 0) continue;
        routed += 1;
        const before = outbox.entries.length + work.submitted;
        await router.handle(message);
        const answered = outbox.entries.length + work.submitted > before;
        if (privateInput && !answered && intent.kind !== "not-for-us") silentPrivate.push(`${intent.kind}: ${message.text.slice(0, 200)}`);
      }
      // Let anything left dangling surface before counting.
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      process.off("unhandledRejection", onUnhandled);
      await client.destroy();
    }
    expect(routed).toBeGreaterThan(0);
    // Most interactions must reach our code, not stop in discord.js's constructors.
    expect(discordBuilt).toBeGreaterThan(COUNT * 0.4 * 0.5);
    expect(unhandled).toEqual([]);
    expect(failures).toEqual([]);
    expect(silentPrivate.slice(0, 5)).toEqual([]);
  });
});
