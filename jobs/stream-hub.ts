import type { Queue } from "bullmq";
import type { SentRef } from "../src/chat/outbox.js";
import type { Messages } from "../src/i18n/index.js";
import type { Logger } from "../src/log.js";
import type { OpenTurn, TurnEvent, TurnListener } from "../src/nemo/types.js";
import type { RedisClient } from "../src/redis/client.js";
import { SoloSweep } from "../src/redis/solo-sweep.js";
import type { AdoptedTurn, TurnStreams } from "./context.js";
import { hubKeys } from "./keys.js";
import type { Markers } from "./markers.js";
import type { DrainerData } from "./queues.js";
import type { StatusMessage } from "./status-message.js";
import { brokenOutcome, toolLine, TurnTally, type TurnOutcome } from "./turn-outcome.js";

/**
 * The stream outlives the job slot. A turn's drainer job sends the message, opens `/run_sse`, hands
 * the open stream to this process's hub and parks itself as a delayed step (`phase: "streaming"`):
 * while the backend works, the turn holds no worker slot, no BullMQ lock to renew and no chain of
 * suspended async frames, only a socket, a parser and one small object here. The session's mailbox
 * stays owned by the job's generation, so the session's order is unchanged.
 *
 * The hub reads each stream callback-style, keeps its status line (the tool at work, and "still
 * working" from ONE ticker for every turn), and when the stream ends writes what it came to
 * (`outcome:<item>`, turn-outcome.ts) and promotes the parked job, which answers from it.
 *
 * A hub that dies (SIGKILL) takes its streams with it: each hub keeps a liveness lease in Redis and
 * the set of drainer jobs it streams for; `sweepDeadHubs` (every worker, one process at a time) promotes the
 * parked jobs of a hub whose lease ran out, and they find `sent` set and no outcome: recovery, which
 * reads the state and never sends the message again. A lost promote still ends in recovery when the
 * parked job's delay (the turn's hard limit and a margin) runs out.
 */

export interface HubDeps {
  /** This process's hub: unique per process start. */
  id: string;
  redis: RedisClient;
  prefix: string;
  markers: Markers;
  session: Queue<DrainerData>;
  /** How often a turn's "still working" line is renewed (0: never). */
  stillWorkingMs: number;
  /** The liveness lease: another worker takes this hub's turns over this long after it stops renewing. */
  leaseMs: number;
  logger: Logger;
}

/** One open turn: its tally, its status line, and the listener of its stream (no closures of its own). */
class HubTurn implements TurnListener {
  readonly tally = new TurnTally();
  progress: string;
  still: string | undefined;
  nextStillAt: number;
  aborted = false;

  constructor(
    readonly hub: StreamHub,
    readonly itemId: string,
    readonly jobId: string,
    readonly stream: OpenTurn,
    readonly status: StatusMessage,
    readonly m: Messages,
    readonly adoptedAt: number,
    stillWorkingMs: number,
  ) {
    this.progress = m.thinking;
    this.nextStillAt = stillWorkingMs > 0 ? adoptedAt + stillWorkingMs : Number.POSITIVE_INFINITY;
  }

  onEvent(event: TurnEvent): void {
    const tool = this.tally.take(event);
    if (tool === undefined) return;
    this.progress = toolLine(this.m, tool);
    this.show();
  }

  onEnd(error: unknown): void {
    this.hub.ended(this, error);
  }

  /** The status message was posted anew while the job is parked: its ref goes where the resumed job reads it. */
  keepStatusRef(ref: SentRef): Promise<void> {
    return this.hub.keepStatusRef(this.itemId, ref);
  }

  show(): void {
    this.status.set(this.still === undefined ? this.progress : `${this.progress}\n${this.still}`);
  }
}

export class StreamHub implements TurnStreams {
  private readonly turns = new Map<string, HubTurn>();
  /** Ended turns whose outcome is being written and their job promoted. */
  private readonly finishing = new Set<Promise<void>>();
  private readonly keys: ReturnType<typeof hubKeys>;
  private ticker: NodeJS.Timeout | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly deps: HubDeps) {
    this.keys = hubKeys(deps.prefix, deps.id);
  }

  get id(): string {
    return this.deps.id;
  }

  /** Open turns held now. */
  get size(): number {
    return this.turns.size;
  }

  has(itemId: string): boolean {
    return this.turns.has(itemId);
  }

  /** Takes the lease and keeps it (every third of its length) until `stop`. */
  async start(): Promise<void> {
    await this.renewLease();
    this.leaseTimer = setInterval(() => {
      this.renewLease().catch((error: unknown) => this.deps.logger.warn({ err: error }, "stream hub: lease renewal failed"));
    }, Math.max(100, Math.floor(this.deps.leaseMs / 3)));
    this.leaseTimer.unref();
  }

  private async renewLease(): Promise<void> {
    // The registry too, each time: a sweep that took this hub for dead (Redis was unreachable longer
    // than the lease) removed it, and the streams opened since must still be found if it dies.
    await this.deps.redis.multi().set(this.keys.alive, "1", "PX", this.deps.leaseMs).sadd(this.keys.all, this.deps.id).exec();
  }

  /**
   * Takes a turn's open stream over. Its job is recorded first (so a sweep finds it if this process
   * dies), then the stream is read; the job parks right after this returns.
   */
  async adopt(turn: AdoptedTurn): Promise<void> {
    try {
      await this.deps.redis.sadd(this.keys.items, turn.jobId);
    } catch (error) {
      turn.stream.abort(error);
      throw error;
    }
    const held = new HubTurn(this, turn.itemId, turn.jobId, turn.stream, turn.status, turn.m, Date.now(), this.deps.stillWorkingMs);
    // The job parks: a new status message's ref is kept where a resumed job reads it, not in the job.
    // A bound method, not a closure over `turn`: it keeps nothing but the held turn.
    turn.status.retarget(held.keepStatusRef.bind(held));
    this.turns.set(turn.itemId, held);
    this.tickWhileOpen();
    turn.stream.listen(held);
  }

  /** Closes every open stream (shutdown past its grace period): each turn goes to recovery. */
  abortAll(reason: unknown): void {
    for (const turn of this.turns.values()) {
      turn.aborted = true;
      turn.stream.abort(reason);
    }
  }

  /** Resolves when no stream is open and every outcome is written. */
  async idle(): Promise<void> {
    while (this.turns.size > 0 || this.finishing.size > 0) {
      await new Promise<void>((resolve) => this.waiters.add(resolve));
    }
  }

  /** Gives the lease up (after `idle`): nothing of this hub is left to take over. */
  async stop(): Promise<void> {
    clearInterval(this.leaseTimer);
    clearInterval(this.ticker);
    this.ticker = undefined;
    if (this.turns.size > 0 || this.finishing.size > 0) return;
    await this.deps.redis.multi().del(this.keys.alive, this.keys.items).srem(this.keys.all, this.deps.id).exec();
  }

  async keepStatusRef(itemId: string, ref: SentRef): Promise<void> {
    await this.deps.markers.recordStatus(itemId, ref);
  }

  /** Called by a turn's stream as it ends. */
  ended(turn: HubTurn, error: unknown): void {
    this.turns.delete(turn.itemId);
    const outcome: TurnOutcome = error === undefined ? { kind: "ended", ...turn.tally.outcome() } : brokenOutcome(error, turn.tally.seen, turn.aborted);
    if (outcome.kind === "unknown") this.deps.logger.info({ err: error, item: turn.itemId }, "turn stream broke off");
    const work = this.handBack(turn, outcome).catch((failure: unknown) =>
      // The parked job still resumes when its delay runs out, and finds no outcome: recovery.
      this.deps.logger.warn({ err: failure, item: turn.itemId }, "stream hub: could not hand the turn back"),
    );
    this.finishing.add(work);
    void work.finally(() => {
      this.finishing.delete(work);
      this.wakeWaiters();
    });
  }

  private async handBack(turn: HubTurn, outcome: TurnOutcome): Promise<void> {
    // The resumed job writes the status next: an edit of ours must not land after its words.
    await turn.status.settle();
    // Only an answer that proves the agent never got the message lets it go again.
    if (outcome.kind === "refused") await this.deps.markers.clear("sent", turn.itemId);
    await this.deps.markers.set("outcome", turn.itemId, JSON.stringify(outcome));
    // Kept until the job takes the outcome: a wake-up lost to this process dying next, to a job not
    // parked yet or to a Redis restart is tried again by the sweep, not left to the job's long delay.
    await this.deps.redis.zadd(this.keys.ended, Date.now(), turn.jobId);
    // Off the list before the promote: the resumed job may send again (a refusal) and be adopted
    // anew under the same id, and that registration must stay.
    await this.deps.redis.srem(this.keys.items, turn.jobId);
    await promoteStreaming(this.deps.session, turn.jobId, this.deps.id);
  }

  async woke(jobId: string): Promise<void> {
    await this.deps.redis.zrem(this.keys.ended, jobId);
  }

  /** ONE timer for every turn's "still working" line, running while any turn is open. */
  private tickWhileOpen(): void {
    if (this.ticker !== undefined || this.deps.stillWorkingMs <= 0) return;
    this.ticker = setInterval(() => this.tick(), Math.min(1_000, this.deps.stillWorkingMs));
    // The streams keep the process alive, not their ticker.
    this.ticker.unref();
  }

  private tick(): void {
    if (this.turns.size === 0) {
      clearInterval(this.ticker);
      this.ticker = undefined;
      return;
    }
    const now = Date.now();
    for (const turn of this.turns.values()) {
      if (now < turn.nextStillAt) continue;
      turn.nextStillAt += this.deps.stillWorkingMs;
      const startedAt = turn.adoptedAt;
      turn.still = turn.m.stillWorking({ minutes: Math.max(1, Math.round((now - startedAt) / 60_000)) });
      turn.show();
    }
  }

  private wakeWaiters(): void {
    if (this.turns.size > 0 || this.finishing.size > 0) return;
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }
}

/**
 * Promotes a drainer job parked for a stream of hub `hubId`, and only such a job: one that has moved
 * on meanwhile (a sweep sent it to recovery, which waits between its reads) is left to its own step.
 * A job not yet parked (the stream ended as it parked) promotes itself when it finds the outcome.
 */
export async function promoteStreaming(session: Queue<DrainerData>, jobId: string, hubId: string | undefined): Promise<"promoted" | "gone"> {
  const job = await session.getJob(jobId);
  const step = job?.data.step;
  if (!job || step?.phase !== "streaming" || (hubId !== undefined && step.hub !== hubId)) return "gone";
  // Not delayed (yet): the job finds the outcome as it parks, or the sweep tries again.
  await job.promote().catch(() => undefined);
  return "promoted";
}

/** A stream that ended this long ago and whose job has not taken its outcome is woken again. */
const ENDED_GRACE_MS = 5_000;

/**
 * Hubs whose lease ran out (their process died): their parked turns are promoted now, not when
 * their delay runs out, and find no outcome: recovery. Streams that ended over 5 s ago whose job has
 * not taken its outcome are woken again. Stops at its next job or hub once `signal` aborts (what is
 * left, the next sweep does).
 */
export async function sweepDeadHubs(redis: RedisClient, prefix: string, session: Queue<DrainerData>, logger: Logger, signal?: AbortSignal): Promise<void> {
  const { all, ended } = hubKeys(prefix, "");
  for (const jobId of await redis.zrangebyscore(ended, 0, Date.now() - ENDED_GRACE_MS)) {
    if (signal?.aborted) return;
    if ((await promoteStreaming(session, jobId, undefined)) === "gone") await redis.zrem(ended, jobId);
  }
  for (const hubId of await redis.smembers(all)) {
    if (signal?.aborted) return;
    const keys = hubKeys(prefix, hubId);
    if ((await redis.exists(keys.alive)) === 1) continue;
    const jobs = await redis.smembers(keys.items);
    if (jobs.length > 0) logger.warn({ hub: hubId, turns: jobs.length }, "a worker died with open turns: they go to recovery");
    for (const jobId of jobs) await promoteStreaming(session, jobId, hubId);
    await redis.multi().del(keys.items).srem(all, hubId).exec();
  }
}

/** `sweepDeadHubs` every `everyMs` (and at each worker's start), in one worker process at a time (see SoloSweep). */
export function deadHubSweep(redis: RedisClient, prefix: string, session: Queue<DrainerData>, everyMs: number, logger: Logger): SoloSweep {
  return new SoloSweep({
    redis,
    key: hubKeys(prefix, "").sweep,
    periodMs: everyMs,
    sweep: (signal) => sweepDeadHubs(redis, prefix, session, logger, signal),
    onError: (error) => logger.warn({ err: error }, "dead stream hubs: sweep failed"),
  });
}
