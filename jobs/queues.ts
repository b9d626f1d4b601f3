import { Queue, type JobsOptions } from "bullmq";
import { closeConnection, connectRedis, whenReady, type RedisClient, type RedisTarget } from "../src/redis/client.js";
import type { SessionRef } from "../src/accounts/types.js";
import type { Platform } from "../src/chat/message.js";
import type { Outbox } from "../src/chat/outbox.js";
import { silentLogger, type Logger } from "../src/log.js";
import { updateClaimKey, updateItemField, updateItemsKey } from "../src/chat/update-claims.js";
import type { CancelOneOutcome, CancelOutcome, CancelTarget, ItemOrigin, SubmitOutcome, WorkEnvelope, WorkOverviewItem, WorkQueue } from "../src/work/types.js";
import type { ItemStep } from "./context.js";
import type { RenderJobData } from "./export.js";
import { drainerJobId, queueNames, renderJobId, sessionKeyOf, sessionRendersKey } from "./keys.js";
import { LineKeeper } from "./line/keeper.js";
import { sessionOverview } from "./line/overview.js";
import { removeWaiting, stillWaiting } from "./line/read-line.js";
import { SlotCheck } from "./line/slot-check.js";
import { DRAINER_JOB_OPTIONS, Mailbox } from "./mailbox.js";
import { Markers } from "./markers.js";

/** What a drainer job carries: whose mailbox, which generation, and the current item's step. */
export interface DrainerData {
  sessionKey: string;
  generation: string;
  step?: ItemStep;
}

const DAY_SECONDS = 24 * 3600;
export { DRAINER_JOB_OPTIONS };

export const RENDER_JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: "exponential", delay: 2_000 },
  removeOnComplete: { age: DAY_SECONDS },
  removeOnFail: { age: 7 * DAY_SECONDS },
};

/** The queues and the mailbox over one Redis connection (a producer's or a worker's). */
export class WorkQueues {
  readonly session: Queue<DrainerData>;
  readonly render: Queue<RenderJobData>;
  readonly mailbox: Mailbox;
  readonly markers: Markers;
  /** Places in line: the queued status messages and the measured durations behind their estimates. */
  readonly line: LineKeeper;

  constructor(
    readonly redis: RedisClient,
    readonly prefix: string,
    options: { outbox?: (platform: Platform) => Outbox; logger?: Logger; maxItems?: number } = {},
  ) {
    this.session = new Queue<DrainerData>(queueNames.session, { connection: redis, prefix });
    this.render = new Queue<RenderJobData>(queueNames.render, { connection: redis, prefix });
    // The connection's owner logs its errors; without a listener BullMQ prints each one to the console.
    for (const queue of [this.session, this.render]) queue.on("error", () => undefined);
    this.mailbox = new Mailbox(redis, prefix, this.session, options.maxItems ?? 0);
    this.markers = new Markers(redis, prefix);
    this.line = new LineKeeper({ redis, prefix, logger: options.logger ?? silentLogger, ...(options.outbox ? { outbox: options.outbox } : {}) });
  }

  /**
   * Appends an item to its session's mailbox, creating the drainer (in the same step) when none
   * owns it; `full` (and nothing added) when the mailbox already holds its most items.
   */
  async enqueue(envelope: WorkEnvelope, where: "back" | "front" = "back", from?: ItemOrigin): Promise<SubmitOutcome> {
    const record = from
      ? { key: updateItemsKey(this.prefix, from.updateKey), field: updateItemField(from.index), ...(from.last ? { handledKey: updateClaimKey(this.prefix, from.updateKey) } : {}) }
      : undefined;
    const result = await this.mailbox.submit(sessionKeyOf(envelope.session), envelope, where, record);
    if (result.queuedAs !== undefined) return { position: result.ahead, queuedAs: result.queuedAs };
    if (result.full) return { position: result.ahead, full: true };
    return from?.last ? { position: result.ahead, marked: true } : { position: result.ahead };
  }

  /** For the repair sweep. Idempotent: the job id is fixed by (session, generation). */
  async addDrainer(sessionKey: string, generation: string): Promise<void> {
    await this.session.add("drain", { sessionKey, generation }, { ...DRAINER_JOB_OPTIONS, jobId: drainerJobId(sessionKey, generation) });
  }

  /**
   * `/cancel`: drops the session's waiting items and cancels its renders. A render job waiting for
   * its next poll is woken at once, sees the cancel marker and calls the backend's cancel.
   * A turn already sent cannot be taken back and is left to finish.
   */
  async cancel(session: SessionRef): Promise<CancelOutcome> {
    const sessionKey = sessionKeyOf(session);
    const dropped = await this.mailbox.cancelQueued(sessionKey);
    // The dropped items' "Queued" statuses now say "Cancelled".
    if (dropped > 0) await this.line.refresh(sessionKey);
    const renders = await this.redis.smembers(sessionRendersKey(this.prefix, sessionKey));
    let running = 0;
    for (const envelopeId of renders) {
      if (await this.cancelRender(envelopeId)) running += 1;
    }
    if (running > 0) return "cancelled-running";
    return dropped > 0 ? "cancelled-queued" : "nothing";
  }

  /**
   * Cancels one render: a job waiting for its next poll is woken at once, sees the cancel marker
   * and calls the backend's cancel. False when it was delivered or cancelled already.
   */
  private async cancelRender(envelopeId: string): Promise<boolean> {
    if ((await this.markers.get("delivered", envelopeId)) !== null) return false;
    // Cancelled already (its job may still be writing "Export cancelled"): not running any more.
    if (!(await this.markers.setOnce("cancel", envelopeId))) return false;
    const job = await this.render.getJob(renderJobId(envelopeId));
    if (job && (await job.isDelayed())) await job.promote().catch(() => undefined);
    return true;
  }

  /** `/status`: the session's items waiting, running and rendering, numbered. */
  async overview(session: SessionRef): Promise<WorkOverviewItem[]> {
    return sessionOverview(this, sessionKeyOf(session));
  }

  /**
   * `/cancel 2` or `/cancel export`: that one item only. A waiting item leaves the mailbox (its
   * status says "Cancelled", the others' places move up); a render is cancelled; a turn or an
   * upload already running cannot be taken back.
   */
  async cancelOne(session: SessionRef, target: CancelTarget): Promise<CancelOneOutcome> {
    const sessionKey = sessionKeyOf(session);
    const items = await this.overview(session);
    const chosen =
      "number" in target
        ? items.find((i) => i.number === target.number)
        : // The latest of that kind that can still be cancelled, else the running one (to say so).
          ([...items].reverse().find((i) => i.item.kind === target.kind && i.state !== "running") ?? items.find((i) => i.item.kind === target.kind));
    if (!chosen) return { outcome: "not-found" };
    if (chosen.state === "waiting" && (await removeWaiting(this.redis, this.prefix, sessionKey, chosen.id))) {
      await this.line.refresh(sessionKey);
      return { outcome: "cancelled", item: chosen };
    }
    if (chosen.state === "rendering") return (await this.cancelRender(chosen.id)) ? { outcome: "cancelled", item: chosen } : { outcome: "not-found" };
    // Running, or it started between the look and the cancel.
    return { outcome: "running", item: chosen };
  }

  async close(): Promise<void> {
    await Promise.all([this.session.close(), this.render.close()]);
  }
}

export interface WorkQueueOptions {
  /** `redis://…`, or a cluster's seeds (see src/redis/client.ts). */
  connection: RedisTarget;
  /** BullMQ's key prefix (QUEUE_PREFIX, hash-tagged on a Redis Cluster). */
  prefix: string;
  logger: Logger;
  /** Where queued items' status messages go ("⏳ Queued: 2 ahead of you"); without it none are posted. */
  outbox?: (platform: Platform) => Outbox;
  /** How many items may wait in one session's mailbox (MAILBOX_MAX_ITEMS; 0: no cap). */
  maxItems?: number;
  /**
   * An item with nothing of its own before it but no worker slot free is announced when it still
   * waits after this long: a worker with a free slot takes a new job within milliseconds.
   */
  slotCheckMs?: number;
}

/**
 * The router's side: submit items and cancel them. Its Redis connection fails fast (a user is
 * waiting for an answer), unlike the workers' which wait out a Redis restart.
 */
export function createWorkQueue(options: WorkQueueOptions): WorkQueue & { close(): Promise<void> } {
  const redis = connectRedis(options.connection, "producer");
  redis.on("error", (error) => options.logger.warn({ err: error }, "work queue: Redis connection error"));
  const queues = new WorkQueues(redis, options.prefix, {
    logger: options.logger,
    ...(options.outbox ? { outbox: options.outbox } : {}),
    ...(options.maxItems === undefined ? {} : { maxItems: options.maxItems }),
  });
  /** Says at once that an item waits (a courtesy: failing to say so never fails the submit). */
  const announce = (envelope: WorkEnvelope, droppable = false): Promise<void> =>
    queues.line.announce(envelope, { droppable }).catch((error: unknown) => options.logger.warn({ err: error, item: envelope.id }, "place in line: announce failed"));
  // Nothing of its own before it: it waits only if no worker slot is free, which takes a moment to
  // tell. Droppable: when no slot is free for many sessions at once (a burst of new users), their
  // statuses would otherwise queue for minutes ahead of every answer; one refused now is posted by
  // the workers' sweep of sessions waiting for a slot (LineKeeper.sweep).
  const slotCheck = new SlotCheck({
    delayMs: options.slotCheckMs ?? 300,
    stillWaiting: (envelopes) => stillWaiting(redis, options.prefix, envelopes),
    announce: (envelope) => announce(envelope, true),
    onError: (error) => options.logger.warn({ err: error }, "place in line: checking for a free slot failed"),
  });
  // One wait for the connection shared by every caller (not one listener per submit).
  let ready: Promise<void> | undefined;
  const connected = async () => {
    if (redis.status === "ready") return;
    ready ??= whenReady(redis).finally(() => {
      ready = undefined;
    });
    await ready;
  };
  return {
    async submit(envelope, from) {
      await connected();
      const result = await queues.enqueue(envelope, "back", from);
      if (result.full || result.queuedAs !== undefined) return result;
      if (result.position > 0) await announce(envelope);
      else slotCheck.add(envelope);
      return result;
    },
    async cancel(session) {
      await connected();
      return queues.cancel(session);
    },
    async overview(session) {
      await connected();
      return queues.overview(session);
    },
    async cancelOne(session, target) {
      await connected();
      return queues.cancelOne(session, target);
    },
    async close() {
      slotCheck.close();
      await queues.close();
      await closeConnection(redis);
    },
  };
}
