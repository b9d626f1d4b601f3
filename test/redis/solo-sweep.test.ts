import { afterAll, describe, expect, it } from "vitest";
import { connectRedis } from "../../src/redis/client.js";
import { SoloSweep } from "../../src/redis/solo-sweep.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";
import { startSlowLink } from "../helpers/slow-link.js";

/**
 * The lock behind the periodic sweeps that run in one process at a time (the place-in-line sweep,
 * the mailbox repair, the dead-hub sweep, the webhook inbox's): once a period across processes, a
 * lock lost mid-sweep stops the sweep, and a process that stops gives its lock up.
 */

const redis = connectRedis(testRedisUrl(), "worker");
afterAll(() => redis.disconnect());

function sweepOf(key: string, periodMs: number, sweep: (signal: AbortSignal) => Promise<void> = async () => undefined): SoloSweep {
  return new SoloSweep({ redis, key, periodMs, sweep, onError: (error) => expect.fail(String(error)) });
}

describe("a sweep in one process at a time", () => {
  it("sweeps once a period across processes: a quick sweep still keeps the others out for the rest of it", async () => {
    const key = `${uniquePrefix("solo")}:sweep`;
    const [a, b] = [sweepOf(key, 300), sweepOf(key, 300)];
    expect(await a.runOnce()).toBe(true);
    expect(await b.runOnce()).toBe(false);
    expect(await a.runOnce()).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(await b.runOnce()).toBe(true);
  });

  it("a lone process sweeps at each of its ticks, even with its Redis far away", async () => {
    const key = `${uniquePrefix("solo")}:sweep`;
    const url = new URL(testRedisUrl());
    const link = await startSlowLink({ host: url.hostname, port: Number(url.port) }, 20);
    const far = connectRedis(`redis://${link.host}:${link.port}`, "worker");
    const sweep = new SoloSweep({ redis: far, key, periodMs: 300, sweep: async () => undefined, onError: (error) => expect.fail(String(error)) });
    try {
      for (let tick = 0; tick < 3; tick += 1) {
        // As its timer ticks: the next tick comes a period after this one, however long the sweep took.
        const nextTick = new Promise((resolve) => setTimeout(resolve, 300));
        expect(await sweep.runOnce()).toBe(true);
        await nextTick;
      }
    } finally {
      await sweep.stop();
      far.disconnect();
      await link.close();
    }
  });

  it("a sweep that finds its lock taken (it stalled past its period) stops at its next step", async () => {
    const key = `${uniquePrefix("solo")}:sweep`;
    let steps = 0;
    const sweep = sweepOf(key, 90, async (signal) => {
      while (!signal.aborted && steps < 100) {
        steps += 1;
        if (steps === 2) await redis.set(key, "another process");
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    });
    expect(await sweep.runOnce()).toBe(true);
    expect(steps).toBeLessThan(100);
    // Its end does not remove the other holder's lock.
    expect(await redis.get(key)).toBe("another process");
  });

  it("a stopped process gives its lock up: another sweeps at once rather than after the period", async () => {
    const key = `${uniquePrefix("solo")}:sweep`;
    const [a, b] = [sweepOf(key, 60_000), sweepOf(key, 60_000)];
    expect(await a.runOnce()).toBe(true);
    await a.stop();
    expect(await b.runOnce()).toBe(true);
  });
});
