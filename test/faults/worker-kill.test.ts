import { describe, expect, it } from "vitest";
import { runKillScenario } from "../fixtures/fault-kill-run.js";
import { testRedisEnv } from "../helpers/redis.js";

/**
 * Worker processes SIGKILLed at random moments while users upload, edit and export (the long form,
 * 100 exports, is `npm run faults`). Replay a failure with FAULT_SEED=<the printed seed>.
 */
describe("worker processes killed at random moments", () => {
  it("loses no export, posts none twice, and sends no message to /run_sse twice", { timeout: 150_000 }, async () => {
    const result = await runKillScenario({ exports: 10, kills: 3, timeoutMs: 90_000, redis: testRedisEnv(), log: (line) => void process.stderr.write(`${line}\n`) });
    const replay = `replay with FAULT_SEED=${result.seed}; worker stderr:\n${result.workerErrors.join("\n")}`;
    expect(result.kills, replay).toBe(3);
    // Each kill landed while exports were in flight (a wave's renders take longer than the gap before its kill).
    for (const outstanding of result.outstandingAtKill) expect(outstanding, replay).toBeGreaterThan(0);
    expect(result.lost, replay).toEqual([]);
    expect(result.delivered, replay).toBe(10);
    expect(result.postedTwice, replay).toEqual([]);
    expect(result.sentTwice, replay).toEqual([]);
    // Each delivered video is the real file (the emulator serves the source clip), not an empty post.
    for (const post of result.posts) if (post.type === "video") expect(post.size, replay).toBeGreaterThan(1_000);
  });
});
