/**
 * Figure 1, ingress: N text messages from N Telegram users through the fake Bot API into queued
 * turns, by the real bot process (ROLE=bot: grammY with @grammyjs/runner, the router, the work
 * queue) with no workers, so nothing is taken off the queue while we count.
 *
 * The bot starts first and waits in a long poll; then all N messages land in the fake in one go, so
 * every getUpdates call answers at once with up to 100 of them: the fake's delivery is not what
 * limits the rate. Per update we know
 * when it left in a getUpdates answer (the fake's request log) and when its turn was enqueued (the
 * BullMQ timestamp of the session's drainer job, written in the bot process right after the item
 * went into the session's mailbox), so the latency is "delivered to the bot → enqueued".
 *
 * Baseline, same run, same Redis: a plain BullMQ `queue.add` of N jobs of the same size, 500 in
 * flight (the runner's default concurrency).
 */
import { Queue } from "bullmq";
import { Pool } from "undici";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { startProfile, stopProfile } from "./lib/profiling.js";
import { percentile, round } from "./lib/stats.js";
import { QUEUE_PREFIX, Stack, waitUntil } from "./lib/stack.js";
import type { WindowReport } from "./lib/usage.js";
import { metric, type Metric } from "./report.js";
import { commandStats, commandsBetween, redisCpuSeconds } from "./lib/redis-stats.js";

/**
 * Timed updates per mode. 5,000 made a window of under a second, where the 300 ms slot check and the
 * first answers weigh as much as the steady flow: the rate moved from 3,900 to 7,400 updates/s
 * between runs of one build. 20,000 (about 3 s) held within 10% in 3 runs.
 */
const N = Number(process.env.BENCH_INGRESS_N ?? 20_000);
const FIRST_CHAT = 700_000;
/**
 * Updates each bot handles from users of their own before the timed ones, as the baseline's 1,000
 * warm-up adds: both sides are timed with their code warm (a cold start measured the JIT and the
 * scripts' first loading, and moved the bot's rate by a third from run to run).
 */
const WARM_UP = 1_000;
/** The warm-up users' chat ids: their own range, so the timed users are new to the bot. */
const WARM_UP_CHAT_OFFSET = 500_000;

export interface IngressDetail {
  metrics: Metric[];
  setup: string[];
  notes: string[];
}

interface RawAdds {
  median: number;
  passes: number[];
  /** redis-server CPU per add, µs. */
  redisUsPerAdd: number;
  /** The driver's own CPU per add (ioredis, BullMQ's JavaScript), µs. */
  driverUsPerAdd: number;
}

async function rawAddRate(stack: Stack): Promise<RawAdds> {
  const redis = stack.redisClient();
  const queue = new Queue("raw-baseline", { connection: redis, prefix: `${QUEUE_PREFIX}-raw` });
  await queue.waitUntilReady();
  // A job the size of a real turn envelope (ids, reply handle, text).
  const data = {
    id: "00000000-0000-4000-8000-000000000000",
    session: { platform: "telegram", userKey: "telegram:700000", chatId: "700000", locale: "en" },
    replyTo: { platform: "telegram", chatId: "700000", threadId: "telegram:700000:", chatKind: "private", data: { replyToMessageId: 1 } },
    locale: "en",
    item: { kind: "turn", text: "make the intro shorter and add upbeat music" },
    receivedAt: 0,
  };
  // One pass of `count` adds, 500 in flight, returns adds per second.
  const pass = async (count: number, tag: string): Promise<number> => {
    const t0 = performance.now();
    let next = 0;
    const lane = async () => {
      while (next < count) {
        const i = next++;
        await queue.add("drain", { ...data, receivedAt: i }, { jobId: `raw-${tag}-${i}`, removeOnComplete: true, attempts: 5, backoff: { type: "exponential", delay: 1000 } });
      }
    };
    await Promise.all(Array.from({ length: 500 }, lane));
    return count / ((performance.now() - t0) / 1000);
  };
  // A cold single pass of 5,000 adds (0.2-0.5 s, scripts loading and code warming up included)
  // swung between 9,900 and 25,600 adds/s from run to run: a warm-up pass first, then the median
  // of three timed passes.
  await pass(1_000, "warm");
  const rates: number[] = [];
  // CPU per add: redis-server's (INFO cpu) and this driver's own (it does nothing else meanwhile).
  const redisBefore = await redisCpuSeconds(redis);
  const driverBefore = process.cpuUsage();
  for (const tag of ["a", "b", "c"]) rates.push(await pass(N, tag));
  const driverUsed = process.cpuUsage(driverBefore);
  const redisUsPerAdd = (((await redisCpuSeconds(redis)) - redisBefore) * 1e6) / (3 * N);
  const driverUsPerAdd = (driverUsed.user + driverUsed.system) / (3 * N);
  await queue.obliterate({ force: true });
  await queue.close();
  rates.sort((a, b) => a - b);
  return { median: rates[1] ?? 0, passes: rates, redisUsPerAdd, driverUsPerAdd };
}

/** When each session's drainer job was created (the turn went into its mailbox in the same script), by chat id. */
async function enqueueTimes(stack: Stack): Promise<Map<string, number>> {
  const queue = new Queue("session-work", { connection: stack.redisClient(), prefix: QUEUE_PREFIX });
  const jobs = await queue.getJobs(["waiting", "prioritized", "delayed"], 0, -1);
  const enqueuedAt = new Map<string, number>();
  for (const job of jobs) {
    const chat = /@(-?\d+)$/.exec(String((job.data as { sessionKey?: string }).sessionKey))?.[1];
    if (chat) enqueuedAt.set(chat, job.timestamp);
  }
  await queue.close();
  return enqueuedAt;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Webhook mode: the same N messages POSTed by the driver to the bot's webhook as Telegram does: as
 * many requests in flight as the bot's setWebhook asked for (`max_connections`, 1–100; Telegram's
 * default 40 when unset), each connection sending its next update once the last was answered; not
 * bound by getUpdates' 100 updates a call. Latency = enqueue time − the moment the POST was sent.
 */
async function webhookIngress(
  stack: Stack,
  fake: { info: { apiRoot: string; token: string }; call<T>(command: string): Promise<T> },
  emulatorUrl: string,
  run: { name: string; env: Record<string, string>; nth: number },
): Promise<{ rate: number; p50: number; p99: number; seconds: number; inFlight: number; answerP50: number; postToAnswerP50: number; cpuMsPerUpdate: number; busyPercent: number; redisUsPerUpdate: number; profile: string | undefined }> {
  const port = await freePort();
  const secret = "bench-webhook-secret";
  const path = "/telegram/webhook";
  const bot = await stack.startApp(
    run.name,
    stack.appEnv(fake.info, emulatorUrl, { ROLE: "bot", HTTP_PORT: String(port), TELEGRAM_WEBHOOK_URL: `http://127.0.0.1:${port}${path}`, TELEGRAM_WEBHOOK_SECRET: secret, ...run.env }),
  );
  // Each run's users are new ones (the polling run's and each earlier webhook run's are queued already).
  const firstChat = FIRST_CHAT + run.nth * 1_000_000;
  const sentAt = new Map<string, number>();
  const answeredAt = new Map<string, number>();
  /** POSTs `count` messages from new users (chat ids from `chatBase`), `inFlight` at a time. */
  const post = async (count: number, chatBase: number, updateBase: number): Promise<void> => {
    let next = 0;
    const lane = async () => {
      while (next < count) {
        const i = next++;
        const chatId = chatBase + i;
        const update = {
          update_id: updateBase + i,
          message: { message_id: 1, date: Math.floor(Date.now() / 1000), chat: { id: chatId, type: "private", first_name: "Ada" }, from: { id: chatId, is_bot: false, first_name: "Ada" }, text: `make the intro shorter and add upbeat music (${i})` },
        };
        sentAt.set(String(chatId), Date.now());
        const answer = await pool.request({ path, method: "POST", headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": secret }, body: JSON.stringify(update) });
        await answer.body.dump();
        answeredAt.set(String(chatId), Date.now());
        if (answer.statusCode !== 200) throw new Error(`webhook answered ${answer.statusCode}`);
      }
    };
    await Promise.all(Array.from({ length: inFlight }, lane));
  };
  const inFlight = await fake.call<number>("webhookConnections");
  // Telegram's side, played by this process: undici's own request() on one connection per request
  // in flight, not fetch(), whose per-call overhead would take the shared cores from the bot.
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: inFlight, pipelining: 1 });
  const redis = stack.redisClient();
  const activeBefore = await redis.scard(`${QUEUE_PREFIX}:mailbox:active`);
  // Warm-up from users of their own (see WARM_UP), then the timed pass.
  await post(WARM_UP, firstChat + WARM_UP_CHAT_OFFSET, run.nth * 10_000_000 + 5_000_000);
  await waitUntil("every warm-up update enqueued", async () => (await redis.scard(`${QUEUE_PREFIX}:mailbox:active`)) >= activeBefore + WARM_UP, 300_000, 50);
  sentAt.clear();
  answeredAt.clear();
  const redisCpuBefore = await redisCpuSeconds(redis);
  await bot.call("windowStart", { name: run.name, everyMs: 500 });
  await startProfile(bot);
  const t0 = Date.now();
  await post(N, firstChat, run.nth * 10_000_000);
  await pool.close();
  await waitUntil("every webhook update enqueued", async () => (await redis.scard(`${QUEUE_PREFIX}:mailbox:active`)) >= activeBefore + WARM_UP + N, 300_000, 50);
  const window = await bot.call<WindowReport>("windowStop", { name: run.name });
  const redisUsPerUpdate = (((await redisCpuSeconds(redis)) - redisCpuBefore) * 1e6) / N;
  const profile = await stopProfile(bot, stack.logDir);
  const enqueuedAt = await enqueueTimes(stack);
  const latencies: number[] = [];
  const tails: number[] = [];
  const answers: number[] = [];
  let lastEnqueue = 0;
  for (const [chat, sent] of sentAt) {
    const enqueued = enqueuedAt.get(chat);
    if (enqueued === undefined) continue;
    latencies.push(enqueued - sent);
    tails.push((answeredAt.get(chat) ?? enqueued) - enqueued);
    answers.push((answeredAt.get(chat) ?? sent) - sent);
    lastEnqueue = Math.max(lastEnqueue, enqueued);
  }
  await bot.stop(8_000).catch(() => bot.kill());
  if (latencies.length < N) throw new Error(`only ${latencies.length} of ${N} webhook updates could be timed`);
  const seconds = (lastEnqueue - t0) / 1000;
  return {
    rate: N / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    seconds,
    inFlight,
    answerP50: percentile(tails, 50),
    postToAnswerP50: percentile(answers, 50),
    cpuMsPerUpdate: window.cpuMs / N,
    busyPercent: (window.cpuMs / (lastEnqueue - t0)) * 100,
    redisUsPerUpdate,
    profile,
  };
}

export async function runIngress(): Promise<IngressDetail> {
  const stack = new Stack("ingress");
  try {
    await stack.startRedis();
    const fake = await stack.startFakeTelegram();
    const emulator = await stack.startEmulator({ ffmpeg: false });

    const raw = await rawAddRate(stack);
    const rawPerSecond = raw.median;

    // The bot starts first and waits in a long poll; then all N messages land in the fake at once,
    // so each getUpdates answers at once with up to 100 of them and the bot's window covers it all.
    const redis = stack.redisClient();
    const bot = await stack.startApp("bot", stack.appEnv(fake.info, emulator.info.url, { ROLE: "bot" }));
    // Warm-up from users of their own (see WARM_UP); the bot is back in its long poll before the timed ones land.
    await fake.call<number[]>("send", Array.from({ length: WARM_UP }, (_, i) => ({ chatId: FIRST_CHAT + WARM_UP_CHAT_OFFSET + i, text: `warm up (${i})` })));
    await waitUntil("every warm-up update enqueued", async () => (await redis.scard(`${QUEUE_PREFIX}:mailbox:active`)) >= WARM_UP, 300_000, 50);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const redisCpuBefore = await redisCpuSeconds(redis);
    const statsBefore = await commandStats(redis);
    await bot.call("windowStart", { name: "ingress", everyMs: 500 });
    await startProfile(bot);
    const fakeBefore = await fake.call<{ cpuMs: number; at: number }>("usage");
    const users = Array.from({ length: N }, (_, i) => ({ chatId: FIRST_CHAT + i, text: `make the intro shorter and add upbeat music (${i})` }));
    // The bot's long poll is open when the messages land: the fake logs that call at its arrival,
    // before the messages existed, so an update counts as handed over no earlier than its sending.
    const sentAt = Date.now();
    const updateIds = await fake.call<number[]>("send", users);
    const chatOfUpdate = new Map(updateIds.map((id, i) => [id, String(FIRST_CHAT + i)]));
    await waitUntil("every update enqueued", async () => (await redis.scard(`${QUEUE_PREFIX}:mailbox:active`)) >= WARM_UP + N, 300_000, 50);
    const botWindow = await bot.call<WindowReport>("windowStop", { name: "ingress" });
    const redisUsPerUpdate = (((await redisCpuSeconds(redis)) - redisCpuBefore) * 1e6) / N;
    const commands = commandsBetween(statsBefore, await commandStats(redis));
    const profile = await stopProfile(bot, stack.logDir);
    const fakeAfter = await fake.call<{ cpuMs: number; at: number }>("usage");

    // Enqueue times: the drainer job of each session (one per user here).
    const enqueuedAt = await enqueueTimes(stack);
    const { deliveredAt, getUpdatesCalls, callTimes } = await fake.call<{ deliveredAt: Record<string, number>; getUpdatesCalls: number; callTimes: number[] }>("deliveries", updateIds);

    const latencies: number[] = [];
    let firstDelivery = Number.POSITIVE_INFINITY;
    let lastEnqueue = 0;
    for (const id of updateIds) {
      const delivered = deliveredAt[id] === undefined ? undefined : Math.max(deliveredAt[id], sentAt);
      const enqueued = enqueuedAt.get(chatOfUpdate.get(id) ?? "");
      if (delivered === undefined || enqueued === undefined) continue;
      latencies.push(enqueued - delivered);
      firstDelivery = Math.min(firstDelivery, delivered);
      lastEnqueue = Math.max(lastEnqueue, enqueued);
    }
    if (latencies.length < N) throw new Error(`only ${latencies.length} of ${N} updates could be timed`);
    const seconds = (lastEnqueue - firstDelivery) / 1000;
    const rate = N / seconds;
    // The runner fetches one getUpdates at a time: the rate cannot beat 100 updates per fetch cycle.
    const during = callTimes.filter((t) => t >= firstDelivery && t <= lastEnqueue).sort((a, b) => a - b);
    const gaps = during.slice(1).map((t, i) => t - (during[i] as number));
    const cycleMs = gaps.length > 0 ? gaps.reduce((a, b) => a + b, 0) / gaps.length : Number.NaN;
    const busyPercent = (botWindow.cpuMs / (lastEnqueue - firstDelivery)) * 100;
    const fakeCpu = ((fakeAfter.cpuMs - fakeBefore.cpuMs) / Math.max(1, fakeAfter.at - fakeBefore.at)) * 100;
    const counts = await fake.call<Record<string, number>>("counts");
    await bot.stop(8_000).catch(() => bot.kill());
    // Answered after handling (the inbox off): what the webhook did before the inbox, in this run.
    const after = await webhookIngress(stack, fake, emulator.info.url, { name: "bot-webhook-after-handling", env: { TELEGRAM_INBOX_MAX_IN_HAND: "0" }, nth: 1 });
    const webhook = await webhookIngress(stack, fake, emulator.info.url, { name: "bot-webhook", env: {}, nth: 2 });

    return {
      setup: [
        `${N} private-chat text messages from ${N} users through the fake Bot API; the bot process (ROLE=bot: grammY + @grammyjs/runner, router, work queue) long-polls them; no workers run.`,
        `The bot is started first and handles ${WARM_UP} messages from ${WARM_UP} users of their own to warm up (as the baseline warms up), then waits in a long poll; then the ${N} timed messages land in the fake at once, so every getUpdates call answers at once with up to 100 updates. Rate = ${N} / (last enqueue − first getUpdates answer, or the messages' sending when a long poll was open then) = ${N} / ${round(seconds, 2)} s; latency = enqueue time − time the update left in a getUpdates answer, no earlier than its sending (time to the enqueue, not to a status message: with no workers there is none).`,
        `Webhook mode, same run, same Redis (the long-polling bot stopped first): a bot process with TELEGRAM_WEBHOOK_URL and HTTP_PORT on defaults (each POST answered once the update is in the Redis inbox, before handling); the driver POSTs ${N} more private messages from ${N} new users to its webhook, ${webhook.inFlight} requests in flight (the max_connections the bot's setWebhook asked for; Telegram allows 1–100, 40 when unset), each answered before the next; rate = ${N} / (last enqueue − first POST) = ${N} / ${round(webhook.seconds, 2)} s; latency = enqueue time − the POST's sending.`,
        `Webhook answered after handling, same run, just before: the same with TELEGRAM_INBOX_MAX_IN_HAND=0 (each POST answered once its update is queued, as before the inbox), ${N} other new users; rate = ${N} / ${round(after.seconds, 2)} s. Each webhook run warms up on ${WARM_UP} users of its own first, as the polling bot does.`,
        `Baseline: raw BullMQ queue.add calls of a turn-sized job, 500 in flight, from the driver process against the same redis-server, just before: after 1,000 adds to warm up, the median of three passes of ${N} (${raw.passes.map((r) => round(r)).join(", ")} adds/s).`,
      ],
      metrics: [
        metric({ name: "updates enqueued per second", value: round(rate), unit: "updates/s", baseline: round(rawPerSecond), baselineLabel: "raw queue.add/s", target: "≥ 2000/s and ≥ 40% of raw", passIf: (v, r) => v >= 2000 && (r ?? 0) >= 0.4 }),
        metric({ name: "p50 delivered → enqueued", value: percentile(latencies, 50), unit: "ms" }),
        metric({ name: "p99 delivered → enqueued", value: percentile(latencies, 99), unit: "ms" }),
        metric({ name: "webhook: updates enqueued per second", value: round(webhook.rate), unit: "updates/s", baseline: round(rawPerSecond), baselineLabel: "raw queue.add/s", target: "≥ 40% of raw", passIf: (_v, r) => (r ?? 0) >= 0.4 }),
        metric({ name: "webhook answered after handling (inbox off): updates enqueued per second", value: round(after.rate), unit: "updates/s", baseline: round(rawPerSecond), baselineLabel: "raw queue.add/s" }),
        metric({ name: "webhook: p50 POSTed → answer read by the sender", value: webhook.postToAnswerP50, unit: "ms", baseline: after.postToAnswerP50, baselineLabel: "answered after handling" }),
        metric({ name: "webhook: p50 POSTed → enqueued", value: webhook.p50, unit: "ms" }),
        metric({ name: "webhook: p99 POSTed → enqueued", value: webhook.p99, unit: "ms" }),
        metric({ name: "webhook: p50 enqueued → answer read by the sender", value: webhook.answerP50, unit: "ms" }),
        metric({ name: "webhook: bot process CPU while ingesting", value: round(webhook.busyPercent), unit: "% of a core" }),
        metric({ name: "webhook: bot CPU time per update", value: round(webhook.cpuMsPerUpdate, 3), unit: "ms" }),
        metric({ name: "bot process CPU while ingesting", value: round(busyPercent), unit: "% of a core" }),
        metric({ name: "getUpdates fetch cycle (mean gap between calls)", value: round(cycleMs), unit: "ms" }),
        metric({ name: "bot CPU time per update", value: round(botWindow.cpuMs / N, 3), unit: "ms" }),
        metric({ name: "updates per CPU-second of the bot (capacity on one free core)", value: round(N / (botWindow.cpuMs / 1000)), unit: "updates/s" }),
        metric({ name: "redis-server CPU per update (polling)", value: round(redisUsPerUpdate, 1), unit: "µs", baseline: round(raw.redisUsPerAdd, 1), baselineLabel: "per raw queue.add" }),
        metric({ name: "redis-server CPU per update (webhook)", value: round(webhook.redisUsPerUpdate, 1), unit: "µs", baseline: round(raw.redisUsPerAdd, 1), baselineLabel: "per raw queue.add" }),
        metric({ name: "bot + redis-server CPU per update (polling)", value: round(botWindow.cpuMs * 1000 / N + redisUsPerUpdate, 1), unit: "µs", baseline: round(raw.driverUsPerAdd + raw.redisUsPerAdd, 1), baselineLabel: "driver + redis-server per raw queue.add" }),
        metric({ name: "bot + redis-server CPU per update (webhook)", value: round(webhook.cpuMsPerUpdate * 1000 + webhook.redisUsPerUpdate, 1), unit: "µs", baseline: round(raw.driverUsPerAdd + raw.redisUsPerAdd, 1), baselineLabel: "driver + redis-server per raw queue.add" }),
        metric({ name: "bot process peak RSS", value: round(botWindow.peakRssMb), unit: "MB" }),
      ],
      notes: [
        `Polling: each getUpdates answer (up to 100 updates) is written to the Redis inbox in one HSET, and the next call, made at once, confirms it at Telegram while its updates are handled (at most TELEGRAM_INBOX_MAX_IN_HAND, 200, in hand; an update's entry is removed once it is handled, the entries of updates handled together by one command). The bot used ${round(busyPercent)}% of a core over the ingest window (CPU time includes GC threads, so it can pass 100%): ${busyPercent >= 85 ? "it was CPU-bound, at" : "it was partly waiting for a core or for round trips (bot ↔ fake ↔ Redis), using"} ${round(botWindow.cpuMs / N, 3)} ms of CPU per update (grammY, the router, its share of the inbox's write and removal, and 2 Redis commands in 2 round trips: one script reading the update's state and the user's language and taking the message's slot in the user's rate, then the mailbox script that queues the item, its drainer job, its record and the update's handled mark (the hourly quota, off here as without NEMO_TOKEN, adds a round trip before it); 0.3 s later the items still waiting for a slot are looked for, one command per batch) against the raw add's single Redis command per job. That CPU per update allows ${round(N / (botWindow.cpuMs / 1000))} updates/s on one core the bot has to itself (${round(N / (botWindow.cpuMs / 1000) / rawPerSecond, 2)} of the raw rate measured here): ${busyPercent >= 85 ? "the bound here, whatever the fetching does" : "the bot did not get that core (see the load average: the 2 cores are shared with redis-server, the fake, the driver and other engineers' runs), so the rate fell short of it"}.`,
        `Webhook: each POST is answered once its update is written to the Redis inbox (one round trip; the update is durable there when Telegram forgets it), then handled in the process (2 Redis round trips in a row, as when polling; the entries of updates handled together are removed by one command). ${webhook.inFlight} requests in flight: p50 ${webhook.postToAnswerP50} ms POSTed → answer read against ${after.postToAnswerP50} ms when answered after handling; ${round(webhook.rate)} against ${round(after.rate)} updates/s (×${round(webhook.rate / after.rate, 2)}). The bot used ${round(webhook.busyPercent)}% of a core at ${round(webhook.cpuMsPerUpdate, 3)} ms per update (answered after handling: ${round(after.busyPercent)}% at ${round(after.cpuMsPerUpdate, 3)} ms; the inbox's write and removal cost the difference): with the answer no longer waiting on the handling, the rate is the bot's share of a core ÷ its CPU per update, so one bot process on a core of its own tops out near ${round(1000 / webhook.cpuMsPerUpdate)} updates/s (${round(1000 / webhook.cpuMsPerUpdate / rawPerSecond, 2)} of the raw rate here): more needs less CPU per update or more bot processes, not fewer round trips.`,
        `CPU per update, everything that runs for it: the bot ${round(botWindow.cpuMs * 1000 / N, 1)} µs + redis-server ${round(redisUsPerUpdate, 1)} µs (polling), ${round(webhook.cpuMsPerUpdate * 1000, 1)} + ${round(webhook.redisUsPerUpdate, 1)} µs (webhook), against ${round(raw.driverUsPerAdd, 1)} + ${round(raw.redisUsPerAdd, 1)} µs for a raw add (the driver's ioredis and BullMQ, and redis-server). On 2 cores shared by all of them, 40% of the raw rate allows at most 2.5 × ${round(raw.driverUsPerAdd + raw.redisUsPerAdd, 1)} = ${round(2.5 * (raw.driverUsPerAdd + raw.redisUsPerAdd), 1)} µs in all per update. Redis commands per timed update (polling; calls and µs inside redis-server): ${commands.slice(0, 10).map(([name, c]) => `${name} ${round(c.calls / N, 2)} (${round(c.usec / N, 1)} µs)`).join(", ")}.`,
        ...(profile ? [`CPU profile of the bot over the ingest: ${profile}`] : []),
        ...(webhook.profile ? [`CPU profile of the webhook bot over its ingest: ${webhook.profile}`] : []),
        `The fake answered ${getUpdatesCalls} getUpdates calls in all, ${during.length} of them while the timed updates were handled (${round(N / Math.max(1, during.length))} updates per call); its own process used ${round(fakeCpu)}% of a core meanwhile, so delivery was not the limit. Bot API calls seen: ${JSON.stringify(counts)}.`,
      ],
    };
  } finally {
    await stack.close();
  }
}
