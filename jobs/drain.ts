import { DelayedError, type Job } from "bullmq";
import type { Platform } from "../src/chat/message.js";
import type { Outbox } from "../src/chat/outbox.js";
import type { Config } from "../src/config.js";
import type { Logger } from "../src/log.js";
import { isRedisUnavailable } from "../src/redis/unavailable.js";
import type { WorkEnvelope } from "../src/work/types.js";
import type { ItemRun, ItemStep, JobContext, StepOutcome } from "./context.js";
import { runExportCapture } from "./export.js";
import { tellGaveUp } from "./give-up.js";
import { JobLockLostError, park, stillHolds } from "./job-control.js";
import { FairShares, Lane, ownersOfSessionKey } from "./lanes.js";
import { measure } from "./line/measure.js";
import type { DrainerData, WorkQueues } from "./queues.js";
import { runTurn } from "./turn.js";
import { runUpload } from "./upload.js";
import { skippedForFailedUpload } from "./upload-dependency.js";

const ITEM_TRIES = 3;
/**
 * Redis unreachable is no failure of the item: it is put off (back-off doubling from `itemRetryMs`
 * up to 30 s) this many times, about 4 minutes with the production default, before it is given up.
 */
export const OUTAGE_TRIES = 12;
const OUTAGE_MAX_DELAY_MS = 30_000;
/** How long an item waits in process for a full lane (at most a third of the job's lock) before its job parks. */
const LANE_WAIT_MS = 2_000;
/** How long a job parked for a full lane waits before it asks for a place again. */
const LANE_PARK_MS = 1_000;

export interface DrainerDeps {
  ctx: JobContext;
  queues: WorkQueues;
  config: Config;
  outbox: (platform: Platform) => Outbox;
  logger: Logger;
  /** Back-off after an item failed unexpectedly (doubles each time; 3 tries). */
  itemRetryMs: number;
  /** How long a drainer turned away for its user's (or chat's) fair share waits before it tries again. */
  fairRetryMs: number;
  /** How long a job's lock lasts: a drainer renews it (and checks it is still its own) before each item. */
  lockDurationMs: number;
  /** The running items' controllers: shutdown aborts them after its grace period. */
  running: Set<AbortController>;
  closing(): boolean;
}

/**
 * The drain loop: one BullMQ job per session mailbox takes its items one at a time, in arrival
 * order. Uploads and export captures run in lanes with caps of their own; a user (or a chat) holds
 * at most its share of drainers, and a drainer whose user has sessions waiting hands its mailbox
 * back between items, so sessions take turns. Every wait parks the job (no slot held).
 */
export function createDrainer(deps: DrainerDeps) {
  const { ctx, queues, config, logger, fairRetryMs } = deps;
  const lanes = { upload: new Lane(config.UPLOAD_CONCURRENCY), export: new Lane(config.CAPTURE_CONCURRENCY) };
  const shares = new FairShares({ perUser: config.MAX_SLOTS_PER_USER, perChat: config.MAX_SLOTS_PER_CHAT });
  let drainers = 0;
  const stalls = { redis: queues.redis, queue: queues.session };

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

  const unexpected = async (error: unknown, envelope: WorkEnvelope, step: ItemStep): Promise<StepOutcome> => {
    if (isRedisUnavailable(error) && (step.outages ?? 0) < OUTAGE_TRIES) {
      const outages = (step.outages ?? 0) + 1;
      logger.warn({ err: error, item: envelope.id, outages }, "item met a Redis outage: trying it again later");
      return { done: false, delayMs: Math.min(OUTAGE_MAX_DELAY_MS, deps.itemRetryMs * 2 ** (outages - 1)), step: { ...step, outages } };
    }
    const tries = (step.tries ?? 0) + 1;
    logger.error({ err: error, item: envelope.id, tries }, "item failed unexpectedly");
    if (tries < ITEM_TRIES) {
      return { done: false, delayMs: deps.itemRetryMs * 2 ** (tries - 1), step: { ...step, tries } };
    }
    await tellGaveUp(deps.outbox, envelope, step.statusRef);
    return { done: true };
  };

  /**
   * A fresh item starts: its queued status message (if it waited) becomes its own, and the item
   * edits it to its first words itself, without waiting for the edit (a busy bot's send queue can
   * hold it a minute, and a turn's message need not wait for it to reach the backend); the items
   * still waiting behind it move up a place.
   */
  const startItem = async (sessionKey: string, envelope: WorkEnvelope): Promise<ItemStep> => {
    const step: ItemStep = { envelopeId: envelope.id, startedAt: Date.now() };
    try {
      const started = await queues.line.start(sessionKey, envelope, step.startedAt);
      if (started.waiting > 0) void queues.line.refresh(sessionKey).catch((error: unknown) => logger.warn({ err: error, sessionKey }, "place in line: refresh failed"));
      if (!started.ref) return step;
      // The queued message is this item's status from now on: recorded before its first edit, so a
      // worker that takes the item over edits it rather than leave it mid-sentence.
      await ctx.markers.recordStatus(envelope.id, started.ref);
      return { ...step, statusRef: started.ref };
    } catch (error) {
      // The place in line is a courtesy: the item runs (with a status message of its own) without it.
      logger.warn({ err: error, item: envelope.id }, "place in line: could not hand the status over");
      return step;
    }
  };

  /**
   * The item's step in this job: the one saved in the job, else a new start. An item that started
   * before under another job (its drainer failed and was added again, e.g. after stalling past
   * BullMQ's limit), or whose worker died before saving the status message it had, keeps that
   * message: its ref is recorded in Redis (`status`) as soon as it is known.
   */
  const takeUp = async (sessionKey: string, envelope: WorkEnvelope, saved: ItemStep | undefined): Promise<ItemStep> => {
    if (saved?.statusRef) return saved;
    const statusRef = await ctx.markers.statusOf(envelope.id);
    if (saved) return statusRef ? { ...saved, statusRef } : saved;
    if (!statusRef) return startItem(sessionKey, envelope);
    return { envelopeId: envelope.id, startedAt: Date.now(), statusRef };
  };

  /** Runs the item in its lane; an item still waiting for its lane when the worker shuts down is handed back untouched. */
  const runInLane = async (run: ItemRun): Promise<StepOutcome> => {
    const kind = run.envelope.item.kind;
    const lane = kind === "upload" ? lanes.upload : kind === "export" ? lanes.export : undefined;
    let release: (() => void) | undefined;
    try {
      release = await lane?.acquireWithin(Math.min(LANE_WAIT_MS, deps.lockDurationMs / 3), run.signal);
    } catch (error) {
      if (run.signal.aborted) return { done: false, delayMs: 0, step: run.step };
      throw error;
    }
    // The lane stayed full: wait parked (no slot held, no stalls counted) and take a place later.
    if (lane && !release) return { done: false, delayMs: LANE_PARK_MS, step: run.step };
    try {
      return await runItem(run);
    } finally {
      release?.();
    }
  };

  /**
   * Parks a turn whose stream the hub now reads. The hub promotes the job when the stream ends; a
   * stream that ended before the job was parked (the promote found it still active) left its
   * outcome, so the job promotes itself.
   */
  const parkStreaming = async (job: Job<DrainerData>, data: DrainerData, delayMs: number, token: string | undefined): Promise<never> => {
    try {
      return await park(job, data, delayMs, token, stalls);
    } catch (error) {
      const itemId = data.step?.envelopeId;
      if (error instanceof DelayedError && itemId !== undefined && (await ctx.markers.get("outcome", itemId)) !== null) {
        await job.promote().catch(() => undefined);
      }
      throw error;
    }
  };

  // Two parameters, not BullMQ's third (its abort signal): a processor that takes it gets an
  // AbortController per job from BullMQ, which a drainer holding an open turn would keep for the
  // whole stream, and nothing here cancels a drainer through BullMQ (shutdown aborts `controller`).
  const drain = async (job: Job<DrainerData>, token: string | undefined): Promise<string> => {
    const { sessionKey, generation } = job.data;
    const { user, chat } = ownersOfSessionKey(sessionKey);
    const share = shares.tryHold(user, chat);
    // This user or chat already runs its share: wait (holding no slot) and let others go first,
    // with the place in line said.
    if (!share) {
      // A courtesy, like every place in line: a failed watch leaves the session to the producer's look.
      await queues.line.watch(sessionKey).catch((error: unknown) => logger.warn({ err: error, sessionKey }, "place in line: could not watch a parked session"));
      return park(job, job.data, fairRetryMs, token, stalls);
    }
    drainers += 1;
    const controller = new AbortController();
    deps.running.add(controller);
    const signal = controller.signal;
    try {
      for (;;) {
        // Redis was unreachable for longer than the lock: the stalled check may have started a second
        // run of this drainer, which takes the mailbox from here. Two runs would take the same items.
        if (!(await stillHolds(job, token, deps.lockDurationMs))) throw new JobLockLostError(job.id);
        const claim = await queues.mailbox.claim(sessionKey, generation);
        if (claim.kind !== "item") return claim.kind;
        const { envelope } = claim;
        const resumed = job.data.step?.envelopeId === envelope.id;
        let step: ItemStep = await takeUp(sessionKey, envelope, resumed ? job.data.step : undefined);
        // Set once the item's run came to its outcome: a save still in flight then (a status message
        // whose send finished late calls back with the step it knew) must not write that old step
        // over the one the job parks with, e.g. a turn's "streaming" step, which the stream hub needs
        // to find to wake the job when the stream ends. The status marker is still written.
        let settled = false;
        const save = async (next: ItemStep) => {
          const ref = next.statusRef;
          if (ref && ref.messageId !== step.statusRef?.messageId) await ctx.markers.recordStatus(envelope.id, ref);
          if (settled) return;
          step = next;
          await job.updateData({ sessionKey, generation, step });
        };
        // Kept in the job at once (the status message it took over included), not at the item's
        // first change of message: a worker killed before that would leave the next one without it.
        if (!resumed) await save(step);
        let outcome: StepOutcome;
        try {
          outcome = await runInLane({
            envelope,
            get step() {
              return step;
            },
            save,
            signal,
            ...(job.id === undefined ? {} : { jobId: job.id }),
            stillOurs: () => stillHolds(job, token, deps.lockDurationMs),
          });
        } catch (error) {
          // The job's other run has the item: this one stops without a word.
          if (error instanceof JobLockLostError) throw error;
          outcome = await unexpected(error, envelope, step);
        }
        settled = true;
        if (!outcome.done && outcome.step.phase === "streaming") return parkStreaming(job, { sessionKey, generation, step: outcome.step }, outcome.delayMs, token);
        if (!outcome.done) return park(job, { sessionKey, generation, step: outcome.step }, outcome.delayMs, token, stalls);
        await queues.mailbox.done(sessionKey, generation, envelope.id);
        measure(queues.line.durations, envelope.item.kind, Date.now() - (step.startedAt ?? Date.now()), logger);
        await job.updateData({ sessionKey, generation });
        // Shutting down: hand the rest of this mailbox to whichever worker runs next. Others
        // waiting (this user's other chats, or every slot taken): take turns, to the back of the queue.
        const yieldNow = deps.closing() || shares.othersWaiting(user, chat, 4 * fairRetryMs) || drainers >= config.WORKER_CONCURRENCY;
        if (yieldNow && (await queues.mailbox.pending(sessionKey)) > 0) return park(job, { sessionKey, generation }, 0, token, stalls);
      }
    } finally {
      deps.running.delete(controller);
      drainers -= 1;
      share();
    }
  };

  return { drain, shares };
}
