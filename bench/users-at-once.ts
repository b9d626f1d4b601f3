/**
 * Figure: USERS people editing at once against ONE worker process with default settings (nothing
 * but the bench's addresses set: the concurrency is the README's default). Each sends one message;
 * the emulator holds every /run_sse open with heartbeats (5 s apart) for a while, as a long edit
 * does. Measured at the emulator: when each stream opened, so how many were open 30 s after the
 * messages were sent and how many still waited for a slot then.
 *
 * Baseline, same run: the time the bot process took to queue all USERS turns (the queue itself is
 * not what a user waits on after that).
 */
import { queueNames } from "../jobs/keys.js";
import { Queue } from "bullmq";
import { round } from "./lib/stats.js";
import { QUEUE_PREFIX, Stack, sleep } from "./lib/stack.js";
import { metric, type Metric } from "./report.js";

const USERS = Number(process.env.BENCH_USERS ?? 2000);
const WITHIN_MS = 30_000;
const FIRST_CHAT = 500_000;

export async function runUsersAtOnce(): Promise<{ setup: string[]; metrics: Metric[]; notes: string[] }> {
  const stack = new Stack("users-at-once");
  try {
    await stack.startRedis();
    const fake = await stack.startFakeTelegram();
    const emulator = await stack.startEmulator({ ffmpeg: false, timing: { turnStepMs: 5, heartbeatMs: 5_000, heartbeatOnlyMs: 10 * 60_000 } });
    await emulator.call("faults", [{ kind: "heartbeat-only", times: USERS }]);
    const env = stack.appEnv(fake.info, emulator.info.url);
    const worker = await stack.startApp("worker", { ...env, ROLE: "worker" });
    const bot = await stack.startApp("bot", { ...env, ROLE: "bot" });
    const sessions = new Queue(queueNames.session, { connection: stack.redisClient(), prefix: QUEUE_PREFIX });
    await sleep(2_000);

    const t0 = Date.now();
    await fake.call("send", Array.from({ length: USERS }, (_, i) => ({ chatId: FIRST_CHAT + i, text: `make the intro shorter (${i})` })));
    const openAt: { at: number; open: number; queued: number }[] = [];
    let allOpenMs: number | undefined;
    let allQueuedMs: number | undefined;
    while (Date.now() - t0 < WITHIN_MS + 1_000) {
      const open = (await emulator.call<{ openStreams: number }>("health")).openStreams;
      const counts = await sessions.getJobCounts("waiting", "active", "delayed", "prioritized", "waiting-children");
      const queued = Object.values(counts).reduce((a, b) => a + b, 0);
      openAt.push({ at: Date.now() - t0, open, queued });
      if (allOpenMs === undefined && open >= USERS) allOpenMs = Date.now() - t0;
      if (allQueuedMs === undefined && queued >= USERS) allQueuedMs = Date.now() - t0;
      if (allOpenMs !== undefined) break;
      await sleep(250);
    }
    const at30 = [...openAt].reverse().find((s) => s.at <= WITHIN_MS) ?? openAt.at(-1);
    const openBy30 = at30?.open ?? 0;
    await sessions.close();
    await bot.kill();
    await worker.kill();
    const n = USERS.toLocaleString("en");
    return {
      setup: [
        `${n} users each send one message at once through the fake Bot API → bot process (ROLE=bot) → queue → ONE worker process (ROLE=worker) with default settings (only REDIS_URL, QUEUE_PREFIX, the fake's and the emulator's addresses set).`,
        `The emulator holds every /run_sse open with heartbeats (5 s apart) for 10 minutes. Open streams counted at the emulator every 250 ms for ${WITHIN_MS / 1000} s after the messages were sent.`,
        `Baseline: when the bot process had queued all ${n} turns (session queue jobs), so the rest is the worker's.`,
      ],
      metrics: [
        metric({ name: `streams open ${WITHIN_MS / 1000} s after the messages were sent`, value: openBy30, unit: "streams", baseline: USERS, baselineLabel: "users", target: `all ${n} within 30 s`, passIf: (v) => v >= USERS }),
        metric({ name: `turns still waiting for a slot ${WITHIN_MS / 1000} s after`, value: USERS - openBy30, unit: "turns", target: "none", passIf: (v) => v === 0 }),
        metric({ name: `time until all ${n} streams were open`, value: allOpenMs === undefined ? Number.NaN : round(allOpenMs / 1000, 1), unit: "s", baseline: allQueuedMs === undefined ? undefined : round(allQueuedMs / 1000, 1), baselineLabel: "all turns queued by the bot", target: "≤ 30 s", passIf: (v) => Number.isFinite(v) && v <= 30 }),
      ],
      notes: [
        `Open streams over time (s → open): ${openAt.filter((_, i) => i % 8 === 0).map((s) => `${round(s.at / 1000, 1)}→${s.open}`).join(", ")}.`,
      ],
    };
  } finally {
    await stack.close();
  }
}
