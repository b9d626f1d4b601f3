import { describe, expect, it } from "vitest";
import { runRedisRestartScenario } from "../fixtures/fault-redis-restart.js";
import { onTestCluster } from "../helpers/redis.js";

describe("Redis restarted mid-run with AOF on", () => {
  it("keeps every queued and running item, and the bot reconnects by itself", { timeout: 120_000 }, async () => {
    const result = await runRedisRestartScenario({ users: 4, downMs: 1_000, timeoutMs: 45_000, cluster: onTestCluster(), log: (line) => void process.stderr.write(`${line}\n`) });
    const why = `bot warnings:\n${result.warnings.slice(-30).join("")}`;
    // The restart really happened with work in flight.
    expect(result.inFlightAtRestart[0], why).toBeGreaterThan(0);
    expect(result.lost, why).toEqual([]);
    expect(result.postedTwice, why).toEqual([]);
    expect(result.sentTwice, why).toEqual([]);
    expect(result.answeredAfter, why).toBe(true);
    expect(result.exportAfter, why).toBe(true);
  });
});
