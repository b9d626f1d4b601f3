/**
 * A bot or worker process under test: `startApp` with the configuration in its environment
 * (ROLE=bot, ROLE=worker or all), exactly as `npm start` wires it, plus the benchmark's RPC for
 * memory and CPU. Flags:
 *   --fast-pacing    status edits unpaced (setup workers only, never a measured one)
 *   --time-uploads   records when each NemoVideo upload starts and ends, with RSS sampled every 25 ms
 *   --trace-steps    times each BullMQ job step, render-status call and status edit (wrappers only;
 *                    the exports figure uses it to show where slot time goes)
 * Environment: TELEGRAM_TIME_SCALE=X (bench only) runs the bot's own Telegram limiter X times as long,
 * matching a fake started with --time-scale=X.
 */
import { Worker } from "bullmq";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Redis } from "ioredis";
import { createTelegramAdapter } from "../../adapters/telegram/index.js";
import { LineKeeper } from "../../jobs/line/keeper.js";
import { configuredAdapters, startApp, type App } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import { createNemoClient, type NemoClient } from "../../src/nemo/index.js";
import { connectRedis, redisTargetOf } from "../../src/redis/client.js";
import { skillProfile } from "../../src/nemo/skills.js";
import { announceReady, serveRpc } from "./rpc.js";
import { UsageWindow, usageHandlers, usageNow, type WindowReport } from "./usage.js";

/** One NemoVideo upload as the worker saw it (the upload figure reads these over RPC). */
export interface UploadTiming {
  startedAt: number;
  endedAt: number;
  bytes: number;
  rssBeforeMb: number;
  window: WindowReport;
  error?: string;
}

const config = loadConfig(process.env);
const logger = createLogger({ level: config.LOG_LEVEL, pretty: false });
const uploads: UploadTiming[] = [];

let nemo: NemoClient | undefined;
if (process.argv.includes("--time-uploads")) {
  const base = createNemoClient(config, skillProfile(config.SKILL_PROFILE), { logger: logger.child({ component: "nemo" }) });
  // The same client, with uploadFiles timed: everything else falls through to the real one.
  const timed = Object.create(base) as NemoClient;
  timed.uploadFiles = async (...args: Parameters<NemoClient["uploadFiles"]>) => {
    const before = usageNow();
    const window = new UsageWindow(25);
    const bytes = args[2].reduce((sum, f) => sum + (f.size ?? 0), 0);
    let failure: string | undefined;
    try {
      return await base.uploadFiles(...args);
    } catch (error) {
      failure = String(error);
      throw error;
    } finally {
      uploads.push({ startedAt: before.at, endedAt: Date.now(), bytes, rssBeforeMb: before.rssMb, window: window.stop(), ...(failure ? { error: failure } : {}) });
    }
  };
  nemo = timed;
}

/** Durations (ms) by what was timed, for --trace-steps. */
const traced: Record<string, number[]> = {};
const trace = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
  const t0 = performance.now();
  try {
    return await work();
  } finally {
    (traced[what] ??= []).push(performance.now() - t0);
  }
};
let adapters: Awaited<ReturnType<typeof configuredAdapters>> | undefined;
const timeScale = Number(process.env.TELEGRAM_TIME_SCALE ?? 1);
if (timeScale !== 1) {
  // The bot's own Redis (a cluster's too): REDIS_URL is unset on a cluster, and "" would mean
  // whatever answers on localhost:6379, not the stack's Redis.
  const redis = connectRedis(redisTargetOf(config));
  adapters = [createTelegramAdapter(config, { logger, skill: skillProfile(config.SKILL_PROFILE), redis, tuning: { rateLimits: { timeScale } } })];
}
if (process.argv.includes("--trace-steps")) {
  const base = nemo ?? createNemoClient(config, skillProfile(config.SKILL_PROFILE), { logger: logger.child({ component: "nemo" }) });
  const tracedNemo = Object.create(base) as NemoClient;
  tracedNemo.renderStatus = (...args: Parameters<NemoClient["renderStatus"]>) => trace("nemo.renderStatus", () => base.renderStatus(...args));
  nemo = tracedNemo;
  // The adapters' rate limits live in Redis, shared with the other processes of the bot (the
  // time-scaled ones above, when asked for, are kept).
  adapters ??= await configuredAdapters(config, logger, connectRedis(redisTargetOf(config)));
  for (const adapter of adapters) {
    const upsert = adapter.outbox.upsertStatus.bind(adapter.outbox);
    adapter.outbox.upsertStatus = (...args) => trace("outbox.upsertStatus", () => upsert(...args));
  }
  // The place-in-line sweep (every lineEveryMs in one process): what keeping queued statuses current costs.
  const sweep = LineKeeper.prototype.sweep;
  LineKeeper.prototype.sweep = function (this: LineKeeper, ...args: Parameters<LineKeeper["sweep"]>) {
    return trace("line.sweep", () => sweep.apply(this, args));
  };
  // The processor's whole run per job step, from BullMQ's side.
  const proto = Worker.prototype as unknown as { callProcessJob: (...args: unknown[]) => Promise<unknown> };
  const callProcessJob = proto.callProcessJob;
  proto.callProcessJob = function (this: Worker, ...args: unknown[]) {
    return trace(`job step (${this.name})`, () => callProcessJob.apply(this, args));
  };
}

/**
 * --trace-steps also counts the commands this process sends to Redis (each one a round trip, or a
 * part of a pipeline), by name: a script by BullMQ's name for it (matched by its SHA-1), ours as
 * "script <sha>". Counted where ioredis sends them, so a cluster's node connections count too.
 */
const redisCalls: Record<string, number> = {};
if (process.argv.includes("--trace-steps")) {
  const require = createRequire(import.meta.url);
  const bullScripts = require(join(dirname(require.resolve("bullmq")), "scripts/index.js")) as Record<string, { name: string; content: string }>;
  const scriptNames = new Map(Object.values(bullScripts).map((script) => [createHash("sha1").update(script.content).digest("hex"), script.name]));
  const proto = Redis.prototype as unknown as { sendCommand: (command: { name: string; args: unknown[] }, ...rest: unknown[]) => unknown };
  const sendCommand = proto.sendCommand;
  proto.sendCommand = function (this: Redis, command, ...rest) {
    const sha = command.name === "evalsha" ? String(command.args[0]) : undefined;
    const name = sha === undefined ? command.name : (scriptNames.get(sha) ?? `script ${sha.slice(0, 7)}`);
    redisCalls[name] = (redisCalls[name] ?? 0) + 1;
    return sendCommand.call(this, command, ...rest);
  };
}

const fast = process.argv.includes("--fast-pacing");
const app: App = await startApp({
  config,
  logger,
  ...(nemo ? { nemo } : {}),
  ...(adapters ? { adapters } : {}),
  ...(fast ? { workerTuning: { pacing: { privateMs: 0, groupMs: 0 } } } : {}),
});

serveRpc(
  {
    ...usageHandlers(),
    uploads: () => uploads,
    /** Forgets what was traced so far: the next `traced` covers one part of a run. */
    tracedReset: () => {
      for (const what of Object.keys(traced)) delete traced[what];
      for (const name of Object.keys(redisCalls)) delete redisCalls[name];
      return true;
    },
    traced: () =>
      Object.fromEntries(
        Object.entries(traced).map(([what, ms]) => {
          const sorted = [...ms].sort((a, b) => a - b);
          const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
          const total = ms.reduce((a, b) => a + b, 0);
          const slow = ms.filter((m) => m >= 1000);
          return [what, { n: ms.length, meanMs: total / ms.length, p50Ms: at(50), p90Ms: at(90), maxMs: sorted.at(-1), over1s: slow.length, shareOfTimeOver1s: slow.reduce((a, b) => a + b, 0) / total }];
        }),
      ),
    redisCalls: () => redisCalls,
    health: () => app.health(),
  },
  () => app.close(),
);
announceReady({ role: config.ROLE, pid: process.pid, usage: usageNow() });
