import { Queue, UnrecoverableError, Worker, type Job } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failedForGood, park } from "../../jobs/job-control.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";
import { until } from "./harness.js";

/**
 * A job that lives through many steps (a drainer, a render) and whose worker dies now and then: each
 * death is a stall in BullMQ's count, and past `maxStalledCount` BullMQ fails the job for good. Only
 * deaths in a row without a finished step may count, or a long-lived job is lost to kills that each
 * left it with progress made.
 */
describe("parking a job step", () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
  });
  afterAll(async () => {
    await redis.quit();
  });

  it("a job whose worker dies once in each of its steps, more often than maxStalledCount in all, still finishes", { timeout: 60_000 }, async () => {
    const prefix = uniquePrefix("park");
    const queue = new Queue<{ step: number }>("steps", { connection: redis, prefix });
    const stalls = { redis, queue };
    const lastStep = 3;
    const diedIn = new Set<number>();
    // Each step's first run "dies": it never returns, and its worker is then closed without waiting,
    // so its lock lapses as a SIGKILLed process's would. The step's second run completes it.
    const processor = async (job: Job<{ step: number }>, token?: string): Promise<string> => {
      const { step } = job.data;
      if (!diedIn.has(step)) {
        diedIn.add(step);
        return new Promise<string>(() => undefined);
      }
      if (step < lastStep) return park(job, { step: step + 1 }, 0, token, stalls);
      return "done";
    };
    const startWorker = () =>
      new Worker<{ step: number }, string>("steps", processor, { connection: redis, prefix, lockDuration: 400, stalledInterval: 200, maxStalledCount: 1 });

    const job = await queue.add("steps", { step: 0 });
    let worker = startWorker();
    try {
      const state = async () => (await queue.getJob(job.id as string))?.getState();
      while (diedIn.size <= lastStep) {
        const before = diedIn.size;
        await until(async () => diedIn.size > before || ["completed", "failed"].includes((await state()) ?? ""), 20_000, "the step to run");
        if (diedIn.size === before) break;
        // The worker "dies" with the job active: a new worker takes it over once the lock lapsed.
        await worker.close(true);
        worker = startWorker();
      }
      await until(async () => ["completed", "failed"].includes((await state()) ?? ""), 20_000, "the job to end");
      const ended = await queue.getJob(job.id as string);
      expect(ended?.failedReason).toBeUndefined();
      expect(await ended?.getState()).toBe("completed");
      // Four deaths in all (one per step), one allowed in a row.
      expect(diedIn.size).toBe(lastStep + 1);
    } finally {
      await worker.close(true);
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it("a job failed as unrecoverable (stalled too often) is failed for good though it had attempts left; a plain failure with attempts left is not", () => {
    const firstOfThree = { attemptsMade: 1, opts: { attempts: 3 } };
    expect(failedForGood(firstOfThree, new UnrecoverableError("job stalled more than allowable limit"))).toBe(true);
    expect(failedForGood(firstOfThree, new Error("the network"))).toBe(false);
    expect(failedForGood({ attemptsMade: 3, opts: { attempts: 3 } }, new Error("the network"))).toBe(true);
  });
});
