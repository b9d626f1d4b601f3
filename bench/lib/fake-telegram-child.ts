/**
 * The fake Telegram Bot API (test/fakes/telegram), which keeps Telegram's limits at their real speed
 * (429 with retry_after past them), in a process of its own so its work does not count against the
 * bot or worker under test. The driver makes users send messages and reads back,
 * from the fake's request log, when each update was handed to the bot and when the bot answered.
 * Flags: --local acts like `telegram-bot-api --local` (absolute file paths, no 20 MB limit);
 * --time-scale=X runs Telegram's limits X times as long (0.01: a hundred times faster), for a figure
 * that measures the workers rather than Telegram (its apps get TELEGRAM_TIME_SCALE=X too).
 */
import { startFakeTelegram, type UserSends } from "../../test/fakes/telegram/server.js";
import { announceReady, serveRpc } from "./rpc.js";
import { usageHandlers } from "./usage.js";

const timeScale = Number(process.argv.find((a) => a.startsWith("--time-scale="))?.split("=")[1] ?? 1);
const fake = await startFakeTelegram({ local: process.argv.includes("--local"), timeScale });

/** chat id → time of each call of `method` for that chat that the fake accepted, oldest first. */
function callTimesByChat(methods: string[]): Record<string, number[]> {
  const byChat: Record<string, number[]> = {};
  // A message refused by flood control (429) never reached the chat.
  const refused = new Set(fake.floodRefusals);
  for (const request of fake.requests) {
    if (!methods.includes(request.method) || refused.has(request)) continue;
    const chat = String(request.params.chat_id);
    (byChat[chat] ??= []).push(request.at);
  }
  return byChat;
}

serveRpc(
  {
    ...usageHandlers(),
    /** Users post messages; answers each update's id. */
    send: (args) => (args as UserSends[]).map((input) => fake.userSends(input).updateId),
    /**
     * When each update left in a getUpdates answer. Updates are pre-loaded, so a getUpdates call
     * answers at once with the updates from its offset on (up to its limit): the call's arrival time
     * is when those updates were handed over.
     */
    deliveries: (args) => {
      const ids = args as number[];
      const calls = fake.calls("getUpdates").map((c) => ({ at: c.at, offset: Number(c.params.offset ?? 0), limit: Number(c.params.limit ?? 100) }));
      const result: Record<number, number> = {};
      for (const id of ids) {
        const call = calls.find((c) => c.offset <= id && id < Math.max(c.offset, 1) + c.limit);
        if (call) result[id] = call.at;
      }
      return { deliveredAt: result, getUpdatesCalls: calls.length, callTimes: calls.map((c) => c.at) };
    },
    /** How many updates Telegram would POST to the bot's webhook at once: its setWebhook's max_connections (Telegram's default 40 when unset). */
    webhookConnections: () => Number(fake.calls("setWebhook").at(-1)?.params.max_connections ?? 40),
    /** The times of the bot's sendMessage calls per chat. */
    sentMessages: () => callTimesByChat(["sendMessage"]),
    /**
     * What each chat saw, oldest first: [time, method, text] of every message call the fake accepted
     * (posts, edits, videos), for the gaps between updates and the status message's last words.
     */
    chatTimelines: () => {
      const refused = new Set(fake.floodRefusals);
      const byChat: Record<string, [number, string, string][]> = {};
      for (const request of fake.requests) {
        if (!["sendMessage", "editMessageText", "sendVideo", "sendDocument"].includes(request.method) || refused.has(request)) continue;
        const text = typeof request.params.text === "string" ? request.params.text : typeof request.params.caption === "string" ? request.params.caption : "";
        (byChat[String(request.params.chat_id)] ??= []).push([request.at, request.method, text]);
      }
      return byChat;
    },
    /** The times of the bot's chat actions ("sending video…", sent as a delivery tries its post) per chat. */
    chatActions: () => callTimesByChat(["sendChatAction"]),
    /** The times of the bot's video posts per chat. */
    sentVideos: () => callTimesByChat(["sendVideo", "sendDocument"]),
    /** Messages refused by Telegram's flood control (429), by method. */
    floodRefusals: () => {
      const counts: Record<string, number> = {};
      for (const request of fake.floodRefusals) counts[request.method] = (counts[request.method] ?? 0) + 1;
      return counts;
    },
    /** The time of every call of the given methods, oldest first. */
    callTimes: (args) => fake.requests.filter((r) => (args as string[]).includes(r.method)).map((r) => r.at),
    /** How many calls of each Bot API method the fake answered. */
    counts: () => {
      const counts: Record<string, number> = {};
      for (const request of fake.requests) counts[request.method] = (counts[request.method] ?? 0) + 1;
      return counts;
    },
  },
  () => fake.close(),
);
announceReady({ apiRoot: fake.apiRoot, token: fake.token });
