import { DelayedError, Worker, type Job } from "bullmq";
import type { Readable } from "node:stream";
import type { Accounts } from "../src/accounts/types.js";
import type { AttachmentSource, Platform } from "../src/chat/message.js";
import type { Outbox, SentRef } from "../src/chat/outbox.js";
import type { Config } from "../src/config.js";
import { messages } from "../src/i18n/index.js";
import type { Logger } from "../src/log.js";
import type { NemoApi } from "../src/nemo/types.js";
import { admit, createQuotas, type Quotas } from "../src/quota/index.js";
import type { WorkEnvelope } from "../src/work/types.js";
import { closeConnection, connectRedis, type RedisTarget } from "../src/redis/client.js";
import type { ItemRun, ItemStep, JobContext, JobEvents, StepOutcome } from "./context.js";
import { startDeliverySweep } from "./export-files.js";
import { FairShares, Lane, ownersOfSessionKey } from "./lanes.js";
import { runExportCapture, runRenderStep, type RenderJobData } from "./export.js";
import { draftFingerprint } from "./fingerprint.js";
import { drainerJobId, queueNames, renderJobId, sessionDraftRendersKey, sessionKeyOf, sessionRendersKey } from "./keys.js";
import { RENDER_JOB_OPTIONS, WorkQueues, type DrainerData } from "./queues.js";
import { DEFAULT_PACING, StatusMessage, type StatusPacing } from "./status-message.js";
import { measure, measuredEvents, openingText } from "./line/measure.js";
import { runTurn } from "./turn.js";
import { runUpload } from "./upload.js";
import { failedUploadOf, skippedForFailedUpload } from "./upload-dependency.js";
import type { Thumbnails } from "../src/present/thumbnails.js";

/** Knobs with production defaults that tests shrink. */
export interface WorkerTuning {
  /** How long a job's lock lasts without renewal: a killed worker's job is taken over after it. */
  lockDurationMs?: number;
  /** How often stalled jobs (their worker died) are looked for. */
  stalledIntervalMs?: number;
  /** On close: how long running items may take to finish before they are handed back. */
  shutdownGraceMs?: number;
  /** How often mailboxes whose drainer job went missing are repaired. */
  repairEveryMs?: number;
  /** How long a drainer turned away for its user's (or chat's) fair share waits before it tries again. */
  fairRetryMs?: number;
  /** Back-off after an item or a render job failed unexpectedly (doubles each time; 3 tries). */
  itemRetryMs?: number;
  /** How often queued items' places ("⏳ Queued: 2 ahead of you") are brought up to date (one process at a time). */
  lineEveryMs?: number;
  pacing?: StatusPacing;
}

export interface WorkerDeps {
  config: Config;
  /** `redis://…`, or a cluster's seeds (see src/redis/client.ts). */
  connection: RedisTarget;
  nemo: NemoApi;
  accounts: Accounts;
  outbox: (platform: Platform) => Outbox;
  openAttachment: (source: AttachmentSource, signal?: AbortSignal) => Promise<Readable>;
  logger: Logger;
  thumbnails?: Thumbnails;
  /** Metrics hooks. */
  events?: JobEvents;
  /** The per-user hourly limits (default: as configured, on this Redis under QUEUE_PREFIX, like the router's). */
  quotas?: Quotas;
  tuning?: WorkerTuning;
}

export interface RunningWorkers {
  /** Both BullMQ workers are running (for /healthz). */
  healthy(): boolean;
  close(): Promise<void>;
}

const ITEM_TRIES = 3;

/**
 * Aborts `controller` when BullMQ's signal for the job aborts (`worker.cancelJob`); returns the undo.
 * A listener rather than AbortSignal.any: one open turn holds it for minutes, and `any` keeps weak
 * references, sets and maps per combined signal, a cost a process holding thousands of turns notices.
 */
function followAbort(bullSignal: AbortSignal | undefined, controller: AbortController): () => void {
  if (!bullSignal) return () => undefined;
  const onAbort = (): void => controller.abort(bullSignal.reason);
  if (bullSignal.aborted) onAbort();
  else bullSignal.addEventListener("abort", onAbort, { once: true });
  return () => bullSignal.removeEventListener("abort", onAbort);
}

/** True when `work` settles within `ms` (either way); false when it is still pending then. */
async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The worker side: one BullMQ worker drains session mailboxes (items of one session in order,
 * sessions in parallel up to WORKER_CONCURRENCY, uploads and export captures in lanes of their
 * own, each user and chat within its fair share), another polls renders. Both use a connection
 * with `maxRetriesPerRequest: null`, as BullMQ requires.
 */
export async function startWorkers(deps: WorkerDeps): Promise<RunningWorkers> {
  const { config, logger } = deps;
  const tuning = deps.tuning ?? {};
  const prefix = config.QUEUE_PREFIX;
  const redis = connectRedis(deps.connection, "worker");
  redis.on("error", (error) => logger.warn({ err: error }, "workers: Redis connection error"));
  const queues = new WorkQueues(redis, prefix, { outbox: deps.outbox, logger });
  const quotas = deps.quotas ?? createQuotas(config, { redis, prefix });
  const exportSweep = startDeliverySweep({ exportDir: config.EXPORT_DIR, logger, maxAgeMs: Math.max(24 * 3600_000, 2 * config.DELIVERY_RETRY_FOR_MS) });
  const running = new Set<AbortController>();
  let closing = false;

  const ctx: JobContext = {
    config,
    nemo: deps.nemo,
    accounts: deps.accounts,
    outbox: deps.outbox,
    openAttachment: deps.openAttachment,
    logger,
    ...(deps.thumbnails ? { thumbnails: deps.thumbnails } : {}),
    markers: queues.markers,
    pacing: tuning.pacing ?? DEFAULT_PACING,
    events: measuredEvents(deps.events ?? {}, queues.line.durations, logger),
    async followUpExport(from) {
      if ((await queues.markers.get("followup", from.id)) !== null) return;
      // An export the user asked for with the edit ("…and export") was paid when it was queued;
      // one the backend's "click Export" starts passes the same gate as `/export`.
      const paid = from.item.kind === "turn" && from.item.exportAfter === true;
      if (!paid) {
        const admission = await admit(quotas, from.session.userKey, ["export"], from.locale);
        if (!admission.ok) {
          await deps.outbox(from.replyTo.platform).sendText(from.replyTo, admission.text);
          await queues.markers.set("followup", from.id, "refused");
          return;
        }
      }
      const exportEnvelope: WorkEnvelope = { ...from, id: `${from.id}-export`, item: { kind: "export" }, receivedAt: Date.now() };
      await queues.enqueue(exportEnvelope, "front");
      await queues.markers.set("followup", from.id);
    },
    async startRender(envelope, sessionId, draft, statusRef) {
      const sessionKey = sessionKeyOf(envelope.session);
      const rendersKey = sessionRendersKey(prefix, sessionKey);
      const draftsKey = sessionDraftRendersKey(prefix, sessionKey);
      const print = draftFingerprint(draft);
      // The backend's "click Export" starts an export, and users press Export too: the same
      // version of the same session renders once. A session's captures run one at a time (its
      // mailbox), so reading then writing here does not race.
      const owner = await redis.hget(draftsKey, print);
      const ownerLive =
        owner !== null &&
        owner !== envelope.id &&
        (await redis.sismember(rendersKey, owner)) === 1 &&
        (await queues.markers.get("cancel", owner)) === null &&
        // A capture re-run after a crash can list a render that has since been delivered.
        (await queues.markers.get("delivered", owner)) === null;
      if (ownerLive) return "already-rendering";
      await redis.hset(draftsKey, print, envelope.id);
      await redis.sadd(rendersKey, envelope.id);
      const data: RenderJobData = {
        envelope,
        sessionKey,
        sessionId,
        draft,
        step: { phase: "start", attempt: 1, startedAt: Date.now(), ...(statusRef ? { statusRef } : {}) },
      };
      await queues.render.add("render", data, {
        ...RENDER_JOB_OPTIONS,
        backoff: { type: "exponential", delay: tuning.itemRetryMs ?? 2_000 },
        jobId: renderJobId(envelope.id),
      });
      return "started";
    },
  };

  const runItem = async (run: ItemRun): Promise<StepOutcome> => {
    if (await skippedForFailedUpload(ctx, run.envelope, run.step.statusRef)) return { done: true };
    switch (run.envelope.item.kind) {
      case "turn":
        return runTurn(ctx, run);
      case "upload":
        return runUpload(ctx, run);
      case "export":
        return runExportCapture(ctx, run);
    }
  };

  /** An item given up on: the user is told, and its status message ends on "stopped", not mid-sentence. */
  const tellGaveUp = async (envelope: WorkEnvelope, statusRef: SentRef | undefined): Promise<void> => {
    const outbox = deps.outbox(envelope.replyTo.platform);
    const m = messages(envelope.locale);
    await outbox.sendText(envelope.replyTo, m.unknownError).catch(() => undefined);
    if (statusRef) await outbox.upsertStatus(envelope.replyTo, statusRef, m.turnStopped).catch(() => undefined);
  };

  const unexpected = async (error: unknown, envelope: WorkEnvelope, step: ItemStep): Promise<StepOutcome> => {
    const tries = (step.tries ?? 0) + 1;
    logger.error({ err: error, item: envelope.id, tries }, "item failed unexpectedly");
    if (tries < ITEM_TRIES) {
      return { done: false, delayMs: (tuning.itemRetryMs ?? 2_000) * 2 ** (tries - 1), step: { ...step, tries } };
    }
    await tellGaveUp(envelope, step.statusRef);
    return { done: true };
  };

  /** Parks the job until `delayMs` from now with its step saved: the slot is free meanwhile. */
  const park = async <T>(job: Job<T>, data: T, delayMs: number, token: string | undefined): Promise<never> => {
    await job.updateData(data);
    await job.moveToDelayed(Date.now() + delayMs, token);
    throw new DelayedError();
  };

  /**
   * A fresh item starts: its queued status message (if it waited) becomes its own, showing what it
   * does first; the items still waiting behind it move up a place.
   */
  const startItem = async (sessionKey: string, envelope: WorkEnvelope): Promise<ItemStep> => {
    const step: ItemStep = { envelopeId: envelope.id, startedAt: Date.now() };
    try {
      const started = await queues.line.start(sessionKey, envelope, step.startedAt);
      if (started.waiting > 0) void queues.line.refresh(sessionKey).catch((error: unknown) => logger.warn({ err: error, sessionKey }, "place in line: refresh failed"));
      if (!started.ref) return step;
      // An item that will not run (its upload failed) must not first say "Thinking…".
      const opening = (await failedUploadOf(ctx, envelope)) === undefined ? openingText(envelope) : undefined;
      if (opening !== undefined) await new StatusMessage(deps.outbox(envelope.replyTo.platform), envelope.replyTo, started.ref, ctx.pacing, logger).show(opening);
      return { ...step, statusRef: started.ref };
    } catch (error) {
      // The place in line is a courtesy: the item runs (with a status message of its own) without it.
      logger.warn({ err: error, item: envelope.id }, "place in line: could not hand the status over");
      return step;
    }
  };

  // Lanes and fair shares (lanes.ts): uploads and export captures have caps of their own; a user
  // (or a chat) holds at most its share of drainers, and a drainer whose user has sessions waiting
  // hands its mailbox back between items, so sessions take turns.
  const lanes = { upload: new Lane(config.UPLOAD_CONCURRENCY), export: new Lane(config.CAPTURE_CONCURRENCY) };
  const shares = new FairShares({ perUser: config.MAX_SLOTS_PER_USER, perChat: config.MAX_SLOTS_PER_CHAT });
  const fairRetryMs = tuning.fairRetryMs ?? 250;
  let drainers = 0;

  /** Runs the item in its lane; an item still waiting for its lane when the worker shuts down is handed back untouched. */
  const runInLane = async (run: ItemRun): Promise<StepOutcome> => {
    const kind = run.envelope.item.kind;
    const lane = kind === "upload" ? lanes.upload : kind === "export" ? lanes.export : undefined;
    let release: (() => void) | undefined;
    try {
      release = await lane?.acquire(run.signal);
    } catch (error) {
      if (run.signal.aborted) return { done: false, delayMs: 0, step: run.step };
      throw error;
    }
    try {
      return await runItem(run);
    } finally {
      release?.();
    }
  };

  const drain = async (job: Job<DrainerData>, token: string | undefined, bullSignal?: AbortSignal): Promise<string> => {
    const { sessionKey, generation } = job.data;
    const { user, chat } = ownersOfSessionKey(sessionKey);
    const share = shares.tryHold(user, chat);
    // This user or chat already runs its share: wait (holding no slot) and let others go first.
    if (!share) return park(job, job.data, fairRetryMs, token);
    drainers += 1;
    const controller = new AbortController();
    running.add(controller);
    const unfollow = followAbort(bullSignal, controller);
    const signal = controller.signal;
    try {
      for (;;) {
        const claim = await queues.mailbox.claim(sessionKey, generation);
        if (claim.kind !== "item") return claim.kind;
        const { envelope } = claim;
        let step: ItemStep = job.data.step?.envelopeId === envelope.id ? job.data.step : await startItem(sessionKey, envelope);
        const save = async (next: ItemStep) => {
          step = next;
          await job.updateData({ sessionKey, generation, step });
        };
        let outcome: StepOutcome;
        try {
          outcome = await runInLane({ envelope, get step() { return step; }, save, signal });
        } catch (error) {
          outcome = await unexpected(error, envelope, step);
        }
        if (!outcome.done) return park(job, { sessionKey, generation, step: outcome.step }, outcome.delayMs, token);
        await queues.mailbox.done(sessionKey, generation, envelope.id);
        measure(queues.line.durations, envelope.item.kind, Date.now() - (step.startedAt ?? Date.now()), logger);
        await job.updateData({ sessionKey, generation });
        // Shutting down: hand the rest of this mailbox to whichever worker runs next. Others
        // waiting (this user's other chats, or every slot taken): take turns, to the back of the queue.
        const yieldNow = closing || shares.othersWaiting(user, chat, 4 * fairRetryMs) || drainers >= config.WORKER_CONCURRENCY;
        if (yieldNow && (await queues.mailbox.pending(sessionKey)) > 0) return park(job, { sessionKey, generation }, 0, token);
      }
    } finally {
      unfollow();
      running.delete(controller);
      drainers -= 1;
      share();
    }
  };

  /** A finished render no longer stands for its draft, nor counts as in flight. */
  const forgetRender = async (data: RenderJobData): Promise<void> => {
    const draftsKey = sessionDraftRendersKey(prefix, data.sessionKey);
    const print = draftFingerprint(data.draft);
    if ((await redis.hget(draftsKey, print)) === data.envelope.id) await redis.hdel(draftsKey, print);
    await redis.srem(sessionRendersKey(prefix, data.sessionKey), data.envelope.id);
  };

  const render = async (job: Job<RenderJobData>, token: string | undefined, bullSignal?: AbortSignal): Promise<void> => {
    const controller = new AbortController();
    running.add(controller);
    const unfollow = followAbort(bullSignal, controller);
    try {
      const outcome = await runRenderStep(ctx, job.data, (step) => job.updateData({ ...job.data, step }), controller.signal);
      if (!outcome.done) return park(job, { ...job.data, step: outcome.step }, outcome.delayMs, token);
      await forgetRender(job.data);
    } finally {
      unfollow();
      running.delete(controller);
    }
  };

  const workerOptions = {
    connection: redis,
    prefix,
    concurrency: config.WORKER_CONCURRENCY,
    lockDuration: tuning.lockDurationMs ?? config.JOB_LOCK_MS,
    stalledInterval: tuning.stalledIntervalMs ?? config.JOB_LOCK_MS,
    maxStalledCount: 3,
  };
  const sessionWorker = new Worker<DrainerData, string>(queueNames.session, drain, workerOptions);
  const renderWorker = new Worker<RenderJobData, void>(queueNames.render, render, { ...workerOptions, concurrency: config.RENDER_CONCURRENCY });
  for (const worker of [sessionWorker, renderWorker]) {
    worker.on("error", (error) => logger.error({ err: error }, "worker error"));
    worker.on("failed", (job, error) => logger.warn({ err: error, job: job?.id }, "job failed"));
  }
  // A render that failed for good (its retries used up) must not leave the user waiting in silence.
  renderWorker.on("failed", (job) => {
    if (!job || job.attemptsMade < (job.opts.attempts ?? 1)) return;
    const { envelope } = job.data;
    void redis.srem(sessionRendersKey(prefix, job.data.sessionKey), envelope.id).catch(() => undefined);
    void tellGaveUp(envelope, job.data.step.statusRef);
  });

  /** Mailboxes whose drainer job is gone or failed (a producer died mid-submit, Redis hiccups): re-add it. */
  const repair = async (): Promise<void> => {
    for (const sessionKey of await queues.mailbox.activeSessions()) {
      const generation = await queues.mailbox.owner(sessionKey);
      if (generation === null) continue;
      const job = await queues.session.getJob(drainerJobId(sessionKey, generation));
      const state = job ? await job.getState() : "missing";
      if (state === "failed" || state === "completed") await job?.remove().catch(() => undefined);
      if (state === "missing" || state === "failed" || state === "completed" || state === "unknown") {
        logger.warn({ sessionKey, generation, state }, "mailbox without a drainer: re-adding it");
        await queues.addDrainer(sessionKey, generation);
      }
    }
  };
  const repairSafely = () => {
    shares.prune(60_000);
    return repair().catch((error: unknown) => logger.warn({ err: error }, "mailbox repair failed"));
  };
  await Promise.all([sessionWorker.waitUntilReady(), renderWorker.waitUntilReady()]);
  await repairSafely();
  const repairTimer = setInterval(() => void repairSafely(), tuning.repairEveryMs ?? 60_000);
  repairTimer.unref();

  // Places in line change as other sessions' work finishes and time passes: one process per tick
  // (a Redis lock) edits the queued statuses whose words changed.
  const lineEveryMs = tuning.lineEveryMs ?? 5_000;
  const keepLine = async (): Promise<void> => {
    if ((await redis.set(`${prefix}:line:tick`, "1", "PX", lineEveryMs, "NX")) !== "OK") return;
    await queues.line.sweep(queues.session);
  };
  const lineTimer = setInterval(() => void keepLine().catch((error: unknown) => logger.warn({ err: error }, "place in line: sweep failed")), lineEveryMs);
  lineTimer.unref();

  return {
    healthy: () => !closing && sessionWorker.isRunning() && renderWorker.isRunning(),
    async close() {
      if (closing) return;
      closing = true;
      clearInterval(repairTimer);
      clearInterval(lineTimer);
      exportSweep.stop();
      // Stop taking work; give running items a grace period, then hand them back (a turn goes to recovery).
      const grace = setTimeout(() => {
        for (const controller of running) controller.abort(new Error("worker shutting down"));
      }, tuning.shutdownGraceMs ?? 25_000);
      try {
        // BullMQ's close can wait forever for a blocking connection stuck reconnecting after Redis
        // restarted (taskforcesh/bullmq#4656): past the grace period and a margin, disconnect hard.
        const closed = await settlesWithin(Promise.all([sessionWorker.close(), renderWorker.close()]), (tuning.shutdownGraceMs ?? 25_000) + 5_000);
        if (!closed) {
          logger.warn("workers did not close in time (a blocking Redis connection is stuck reconnecting): disconnecting");
          await settlesWithin(Promise.all([sessionWorker.disconnect(), renderWorker.disconnect()]), 2_000);
        }
      } finally {
        clearTimeout(grace);
      }
      await queues.close();
      await closeConnection(redis);
    },
  };
}
