import { Queue, type JobsOptions } from "bullmq";
import { closeConnection, connectRedis, whenReady, type RedisClient, type RedisTarget } from "../src/redis/client.js";
import type { SessionRef } from "../src/accounts/types.js";
import type { Logger } from "../src/log.js";
import type { CancelOutcome, WorkEnvelope, WorkQueue } from "../src/work/types.js";
import type { ItemStep } from "./context.js";

import { drainerJobId, queueNames, renderJobId, sessionKeyOf, sessionRendersKey } from "./keys.js";
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
  readonly render: Queue;
  readonly mailbox: Mailbox;
  readonly markers: Markers;

  constructor(
    readonly redis: RedisClient,
    readonly prefix: string,
  ) {
    this.session = new Queue<DrainerData>(queueNames.session, { connection: redis, prefix });
    this.render = new Queue(queueNames.render, { connection: redis, prefix });
    // The connection's owner logs its errors; without a listener BullMQ prints each one to the console.
    for (const queue of [this.session, this.render]) queue.on("error", () => undefined);
    this.mailbox = new Mailbox(redis, prefix, this.session);
    this.markers = new Markers(redis, prefix);
  }

  /** Appends an item to its session's mailbox, creating the drainer (in the same step) when none owns it. */
  async enqueue(envelope: WorkEnvelope, where: "back" | "front" = "back"): Promise<{ position: number }> {
    const result = await this.mailbox.submit(sessionKeyOf(envelope.session), envelope, where);
    return { position: result.ahead };
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
    const renders = await this.redis.smembers(sessionRendersKey(this.prefix, sessionKey));
    let running = 0;
    for (const envelopeId of renders) {
      if ((await this.markers.get("delivered", envelopeId)) !== null) continue;
      // Cancelled already (its job may still be writing "Export cancelled"): not running any more.
      if (!(await this.markers.setOnce("cancel", envelopeId))) continue;
      running += 1;
      const job = await this.render.getJob(renderJobId(envelopeId));
      if (job && (await job.isDelayed())) await job.promote().catch(() => undefined);
    }
    if (running > 0) return "cancelled-running";
    return dropped > 0 ? "cancelled-queued" : "nothing";
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
}

/**
 * The router's side: submit items and cancel them. Its Redis connection fails fast (a user is
 * waiting for an answer), unlike the workers' which wait out a Redis restart.
 */
export function createWorkQueue(options: WorkQueueOptions): WorkQueue & { close(): Promise<void> } {
  const redis = connectRedis(options.connection, "producer");
  redis.on("error", (error) => options.logger.warn({ err: error }, "work queue: Redis connection error"));
  const queues = new WorkQueues(redis, options.prefix);
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
    async submit(envelope) {
      await connected();
      return queues.enqueue(envelope);
    },
    async cancel(session) {
      await connected();
      return queues.cancel(session);
    },
    async close() {
      await queues.close();
      await closeConnection(redis);
    },
  };
}
