import { Redis } from "ioredis";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { createReadStream } from "node:fs";
import { createAccounts } from "../../src/accounts/index.js";
import type { Accounts, SessionRef } from "../../src/accounts/types.js";
import type { AttachmentSource, ReplyHandle } from "../../src/chat/message.js";
import { loadConfig, type Config } from "../../src/config.js";
import { startEmulator, type Emulator, type EmulatorOptions } from "../../src/emulator/index.js";
import { silentLogger } from "../../src/log.js";
import { createNemoClient, type NemoClient } from "../../src/nemo/index.js";
import type { WorkEnvelope, WorkItem } from "../../src/work/types.js";
import { createWorkQueue, startWorkers, type JobEvents, type WorkerTuning } from "../../jobs/index.js";
import { messages } from "../../src/i18n/index.js";
import { RecordingOutbox, type OutboxEntry } from "../helpers/recording-outbox.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";
import { TINY_TUNING } from "../helpers/tuning.js";

/**
 * The real parts of jobs/ wired together for a test: the emulator with tiny timings, the client,
 * Redis accounts, BullMQ workers and the recording outbox. Every delay is shrunk.
 */

export const TINY_TIMING = { turnStepMs: 5, heartbeatMs: 20, renderMs: 60, heartbeatOnlyMs: 60_000 };

export { TINY_TUNING };

export function tinyConfig(overrides: Record<string, string>): Config {
  return loadConfig({
    LOG_LEVEL: "silent",
    STILL_WORKING_MS: "200",
    RENDER_POLL_MS: "30",
    RECOVERY_FIRST_WAIT_MS: "50",
    RECOVERY_POLL_MS: "50",
    RECOVERY_MAX_UNCHANGED: "3",
    RETRY_AFTER_429_MS: "50",
    DELIVERY_RETRY_MS: "20",
    SILENT_TIMEOUT_MS: "60000",
    REQUEST_TIMEOUT_MS: "10000",
    WORKER_CONCURRENCY: "4",
    ...overrides,
  });
}

export interface Harness {
  emulator: Emulator;
  config: Config;
  outbox: RecordingOutbox;
  queue: ReturnType<typeof createWorkQueue>;
  accounts: ReturnType<typeof createAccounts>["accounts"];
  nemo: NemoClient;
  redis: Redis;
  prefix: string;
  done: { turns: number; exports: number; uploads: number };
  sessionIdOf(ref: SessionRef): Promise<string>;
  /** Closes this process's workers the way SIGTERM does (grace period, then hand back). */
  stopWorkers(): Promise<void>;
  startWorkers(): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  config?: Record<string, string>;
  emulator?: EmulatorOptions;
  tuning?: WorkerTuning;
  /** Do not start workers in this process (a child process runs them). */
  noWorkers?: boolean;
  outbox?: RecordingOutbox;
  /** How attachments are opened (default: local paths, as the terminal chat does). */
  openAttachment?: (source: AttachmentSource, signal?: AbortSignal) => Promise<Readable>;
  /** The accounts the workers use, made from the harness's own (to aim a fault at them). */
  workerAccounts?: (accounts: Accounts) => Accounts;
  /** How long the producer waits before it looks whether a new item found a worker slot (its default otherwise). */
  slotCheckMs?: number;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), "jobs-test-"));
  const emulator = await startEmulator({
    anonymousPerIpLimit: Infinity,
    startingCredits: 1_000_000,
    timing: TINY_TIMING,
    ...options.emulator,
  });
  const prefix = uniquePrefix("jobs");
  const config = tinyConfig({
    NEMO_API_BASE: emulator.url,
    QUEUE_PREFIX: prefix,
    EXPORT_DIR: join(dir, "exports"),
    ...options.config,
  });
  const url = testRedisUrl();
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  const nemo = createNemoClient(config, { source: "video-making-ai", version: "1.9" });
  const { accounts } = createAccounts(config, { redis, nemo, prefix: `${prefix}:acct` });
  const outbox = options.outbox ?? new RecordingOutbox();
  const done = { turns: 0, exports: 0, uploads: 0 };
  const events: JobEvents = {
    onTurnDone: () => void (done.turns += 1),
    onExportDone: () => void (done.exports += 1),
    onUploadDone: () => void (done.uploads += 1),
  };
  const launch = () =>
    startWorkers({
      config,
      connection: url,
      nemo,
      accounts: options.workerAccounts?.(accounts) ?? accounts,
      outbox: () => outbox,
      openAttachment: options.openAttachment ?? openLocalAttachment,
      logger: silentLogger,
      events,
      tuning: { ...TINY_TUNING, ...options.tuning },
    });
  let workers = options.noWorkers ? undefined : await launch();
  const queue = createWorkQueue({ connection: url, prefix, logger: silentLogger, outbox: () => outbox, ...(options.slotCheckMs === undefined ? {} : { slotCheckMs: options.slotCheckMs }) });
  return {
    emulator,
    config,
    outbox,
    queue,
    accounts,
    nemo,
    redis,
    prefix,
    done,
    async stopWorkers() {
      await workers?.close();
      workers = undefined;
    },
    async startWorkers() {
      workers ??= await launch();
    },
    async sessionIdOf(ref) {
      return (await accounts.session(ref)).sessionId;
    },
    async close() {
      await workers?.close();
      await queue.close();
      await redis.quit();
      await emulator.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The terminal chat's way of opening files: a local path (the test's clips). */
export async function openLocalAttachment(source: AttachmentSource): Promise<Readable> {
  if (source.type !== "local-path") throw new Error(`the test opener reads local paths, not ${source.type}`);
  return createReadStream(source.path);
}

export function sessionOf(user: number, locale: "en" | "zh-CN" = "en"): SessionRef {
  return { platform: "telegram", userKey: `telegram:${user}`, chatId: String(user), locale };
}

export function replyOf(user: number, chatKind: "private" | "group" = "private"): ReplyHandle {
  return { platform: "telegram", chatId: String(user), threadId: `telegram:${user}:`, chatKind };
}

let counter = 0;
export function envelopeOf(user: number, item: WorkItem, id?: string): WorkEnvelope {
  counter += 1;
  return {
    id: id ?? `item-${process.pid}-${Date.now().toString(36)}-${counter}`,
    session: sessionOf(user),
    replyTo: replyOf(user),
    locale: "en",
    item,
    receivedAt: Date.now(),
  };
}

/** Polls `check` until it is true (tests wait on outcomes, never on fixed sleeps). */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = "condition", everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A user whose project holds `clip`, uploaded through the workers (so a fault can be aimed at their session alone). */
export async function userWithClip(h: Harness, user: number, clip: string): Promise<{ id: number; chatId: string; sessionId: string }> {
  const chatId = String(user);
  const attachment = { id: `clip-${user}`, name: "clip.mp4", size: undefined, mimeType: "video/mp4", kind: "video" as const };
  await h.queue.submit(envelopeOf(user, { kind: "upload", attachments: [{ ...attachment, source: { type: "local-path", path: clip } }] }));
  await h.outbox.waitFor(messages("en").uploadDone({ names: ["clip.mp4"] }), { chatId, type: "text", timeoutMs: 15_000 });
  return { id: user, chatId, sessionId: await h.sessionIdOf(sessionOf(user)) };
}

/** The status messages of one chat, oldest first. */
export function statusesOf(h: Harness, chatId: string): Extract<OutboxEntry, { type: "status" }>[] {
  return h.outbox.entries.filter((e): e is Extract<OutboxEntry, { type: "status" }> => e.type === "status" && e.to.chatId === chatId);
}
