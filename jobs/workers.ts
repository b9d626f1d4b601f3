import { Worker, type Job } from "bullmq";
import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import type { Accounts } from "../src/accounts/types.js";
import type { AttachmentSource, Platform } from "../src/chat/message.js";
import type { Outbox } from "../src/chat/outbox.js";
import type { Config } from "../src/config.js";
import type { Logger } from "../src/log.js";
import type { NemoApi } from "../src/nemo/types.js";
import type { Thumbnails } from "../src/present/thumbnails.js";
import { createQuotas, type Quotas } from "../src/quota/index.js";
import { closeConnection, connectRedis, type RedisTarget } from "../src/redis/client.js";
import type { JobContext, JobEvents } from "./context.js";
import { createDrainer } from "./drain.js";
import { startDeliverySweep } from "./export-files.js";
import { runRenderStep, type RenderJobData } from "./export.js";
import { followUpExporter } from "./follow-up-export.js";
import { tellGaveUp } from "./give-up.js";
import { failedForGood, followAbort, park, settlesWithin, stillHolds } from "./job-control.js";
import { queueNames } from "./keys.js";
import { measuredEvents } from "./line/measure.js";
import { WorkQueues, type DrainerData } from "./queues.js";
import { ProgressTurns } from "./progress-turns.js";
import { renderStarter } from "./render-start.js";
import { readdFailedDrainer, repairSweep } from "./repair.js";
import { DEFAULT_PACING, type StatusPacing } from "./status-message.js";
import { deadHubSweep, StreamHub } from "./stream-hub.js";

/**
 * A job fails for good once it stalled this many times without finishing a step (each park resets
 * the count: job-control.ts). A stall is any lapse of the job's lock, not only a worker that died
 * on the job: a Redis restart longer than what is left of the lock lapses every active job's at once,
 * and a loaded worker can miss a renewal. At 3, a fault run (4 workers SIGKILLed every 2 s, 5 Redis
 * restarts of 2–3 s, JOB_LOCK_MS=5000) failed 13 render jobs and 9 drainers in one Redis restart,
 * telling those users "something went wrong" and losing their videos. A job that really kills its
 * worker (a poison job) is still given up on, after 10 worker restarts.
 */
const MAX_STALLS_IN_A_ROW = 10;

/** Knobs with production defaults that tests shrink. */
export interface WorkerTuning {
  /** How long a job's lock lasts without renewal: a killed worker's job is taken over after it. */
  lockDurationMs?: number;
  /** How often stalled jobs (their worker died) are looked for. */
  stalledIntervalMs?: number;
  /** How many stalls in a row a job survives before BullMQ fails it (MAX_STALLS_IN_A_ROW). */
  maxStallsInARow?: number;
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
  const itemRetryMs = tuning.itemRetryMs ?? 2_000;
  const lockDuration = tuning.lockDurationMs ?? config.JOB_LOCK_MS;
  const renders = renderStarter(redis, queues, { itemRetryMs });
  const stalledInterval = tuning.stalledIntervalMs ?? config.JOB_LOCK_MS;
  // Open turns' streams, read here while their drainer jobs park (no slot held): see stream-hub.ts.
  // Its lease lasts as long as a job's lock, so a killed worker's turns are taken over as soon as
  // its running jobs would be.
  const hub = new StreamHub({
    id: randomUUID(),
    redis,
    prefix,
    markers: queues.markers,
    session: queues.session,
    stillWorkingMs: config.STILL_WORKING_MS,
    leaseMs: lockDuration,
    logger,
  });
  await hub.start();

  const ctx: JobContext = {
    config,
    nemo: deps.nemo,
    accounts: deps.accounts,
    outbox: deps.outbox,
    openAttachment: deps.openAttachment,
    logger,
    ...(deps.thumbnails ? { thumbnails: deps.thumbnails } : {}),
    markers: queues.markers,
    progressTurns: new ProgressTurns(redis, prefix),
    pacing: tuning.pacing ?? DEFAULT_PACING,
    events: measuredEvents(deps.events ?? {}, queues.line.durations, logger),
    followUpExport: followUpExporter(queues, quotas, deps.outbox),
    startRender: renders.startRender,
    hub,
  };

  const { drain, shares } = createDrainer({
    ctx,
    queues,
    config,
    outbox: deps.outbox,
    logger,
    itemRetryMs,
    lockDurationMs: lockDuration,
    fairRetryMs: tuning.fairRetryMs ?? 250,
    running,
    closing: () => closing,
  });

  const render = async (job: Job<RenderJobData>, token: string | undefined, bullSignal?: AbortSignal): Promise<void> => {
    const controller = new AbortController();
    running.add(controller);
    const unfollow = followAbort(bullSignal, controller);
    try {
      const outcome = await runRenderStep(ctx, job.data, (step) => job.updateData({ ...job.data, step }), controller.signal, () => stillHolds(job, token, lockDuration));
      if (!outcome.done) return park(job, { ...job.data, step: outcome.step }, outcome.delayMs, token, { redis, queue: queues.render });
      await renders.forgetRender(job.data);
    } finally {
      unfollow();
      running.delete(controller);
    }
  };

  const workerOptions = {
    connection: redis,
    prefix,
    concurrency: config.WORKER_CONCURRENCY,
    lockDuration,
    stalledInterval,
    maxStalledCount: tuning.maxStallsInARow ?? MAX_STALLS_IN_A_ROW,
  };
  const sessionWorker = new Worker<DrainerData, string>(queueNames.session, drain, workerOptions);
  const renderWorker = new Worker<RenderJobData, void>(queueNames.render, render, { ...workerOptions, concurrency: config.RENDER_CONCURRENCY });
  for (const worker of [sessionWorker, renderWorker]) {
    worker.on("error", (error) => logger.error({ err: error }, "worker error"));
    worker.on("failed", (job, error) => logger.warn({ err: error, job: job?.id }, "job failed"));
  }
  sessionWorker.on("failed", readdFailedDrainer(queues, deps.outbox, logger));
  // A render that failed for good (its retries used up) must not leave the user waiting in silence.
  renderWorker.on("failed", (job, error) => {
    if (!job || !failedForGood(job, error)) return;
    const { envelope } = job.data;
    void renders.dropRender(job.data).catch(() => undefined);
    void ctx.progressTurns.forget(envelope.replyTo.platform, envelope.id).catch(() => undefined);
    void tellGaveUp(deps.outbox, envelope, job.data.step.statusRef);
  });

  await Promise.all([sessionWorker.waitUntilReady(), renderWorker.waitUntilReady()]);
  const repairEveryMs = tuning.repairEveryMs ?? 60_000;
  // Fair shares' memory of refusals is this process's own: kept small here, whoever repairs.
  const pruneTimer = setInterval(() => shares.prune(60_000), repairEveryMs);
  pruneTimer.unref();
  // Sweeps every worker runs at its start and then periodically, one process at a time (src/redis/solo-sweep.ts).
  const repair = repairSweep(queues, repairEveryMs, logger);
  await repair.runOnce();
  repair.start();
  // Turns parked for the stream of a worker that died: as often as BullMQ looks for stalled jobs.
  const hubSweep = deadHubSweep(redis, prefix, queues.session, stalledInterval, logger);
  await hubSweep.runOnce();
  hubSweep.start();

  // Places in line change as other sessions' work finishes and time passes: one process per tick
  // (a Redis lock held for the sweep's duration) edits the queued statuses whose words changed.
  const lineSweep = queues.line.sweeper(queues.session, tuning.lineEveryMs ?? 5_000).start();

  return {
    healthy: () => !closing && sessionWorker.isRunning() && renderWorker.isRunning(),
    async close() {
      if (closing) return;
      closing = true;
      clearInterval(pruneTimer);
      exportSweep.stop();
      // A sweep under way stops at its next step; awaited (bounded) before Redis is closed under it.
      const sweepsStopped = Promise.all([lineSweep.stop(), repair.stop(), hubSweep.stop()]);
      const graceMs = tuning.shutdownGraceMs ?? 25_000;
      const graceEnds = Date.now() + graceMs;
      // Stop taking work; give running items a grace period, then hand them back (a turn goes to recovery).
      const grace = setTimeout(() => {
        for (const controller of running) controller.abort(new Error("worker shutting down"));
      }, graceMs);
      try {
        // BullMQ's close can wait forever for a blocking connection stuck reconnecting after Redis
        // restarted (taskforcesh/bullmq#4656): past the grace period and a margin, disconnect hard.
        const closed = await settlesWithin(Promise.all([sessionWorker.close(), renderWorker.close()]), graceMs + 5_000);
        if (!closed) {
          logger.warn("workers did not close in time (a blocking Redis connection is stuck reconnecting): disconnecting");
          await settlesWithin(Promise.all([sessionWorker.disconnect(), renderWorker.disconnect()]), 2_000);
        }
      } finally {
        clearTimeout(grace);
      }
      // Open streams are no jobs: they get the rest of the grace period, then are closed; each turn's
      // outcome (for a closed one: unknown, so recovery) goes to its job, which the next worker runs.
      if (!(await settlesWithin(hub.idle(), Math.max(0, graceEnds - Date.now())))) hub.abortAll(new Error("worker shutting down"));
      if (!(await settlesWithin(hub.idle(), 5_000))) logger.warn("stream hub: turns not handed back in time; the sweep of dead workers takes them over");
      await hub.stop().catch((error: unknown) => logger.warn({ err: error }, "stream hub: could not give its lease up"));
      await settlesWithin(sweepsStopped, 5_000);
      await queues.close();
      await closeConnection(redis);
    },
  };
}
