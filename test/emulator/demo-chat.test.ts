import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, FAST_ENV, killIfRunning, startMain, type RunningProcess } from "../app/support.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";
import { colorClip, frameAt, probe, rms, samples, TOP, whiteShare } from "./media-checks.js";

/**
 * The issue's own check, as a newcomer types it: `npm start` with no accounts (the terminal chat
 * against the in-process emulator), two clips, one sentence of edits, the timeline, the export.
 * The clips are silent and plain, so any sound in the result is the music and any white near the
 * top is the title.
 */

let dir: string;
let main: RunningProcess | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "demo-chat-"));
  await Promise.all([colorClip(dir, "a.mp4", ["blue", "blue"]), colorClip(dir, "b.mp4", ["green", "green", "green"])]);
});
afterEach(() => killIfRunning(main));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the demo: npm start with no accounts", () => {
  it("joins two clips, draws the title and mixes the music into the exported MP4", async () => {
    const exportDir = join(dir, "exports");
    main = startMain(cleanEnv({ ...FAST_ENV, REDIS_URL: testRedisUrl(), QUEUE_PREFIX: uniquePrefix("demo"), EXPORT_DIR: exportDir }), { stdin: "pipe" });
    main.child.stdin?.end(
      `/upload ${join(dir, "a.mp4")}\n/upload ${join(dir, "b.mp4")}\nput them together, add the title Beach Day and calm music at 30%\ntimeline\nexport\n`,
    );
    const code = await main.exited(150_000);
    const output = main.output();
    expect(code, output).toBe(0);
    expect(output).toContain("demo mode: local NemoVideo emulator; set NEMO_API_BASE to use the real service");
    expect(output).toContain('Done! I put a.mp4 and b.mp4 together, one after another (5 seconds in all), added the title "Beach Day" at the start and added background music "Chill Acoustic" (a generated music bed) at 30% volume, fading in and out.');
    const timeline = output.slice(output.indexOf("you> timeline"));
    expect(timeline).toContain("1. Video: a.mp4 (0-2s), b.mp4 (2-5s)");
    expect(timeline).toContain("2. BGM: Chill Acoustic (0-5s, 30%)");
    expect(timeline).toContain('3. Title: "Beach Day" (0-3s)');

    const [name] = readdirSync(exportDir).filter((f) => f.endsWith(".mp4"));
    expect(name, output).toBeDefined();
    const video = join(exportDir, name!);
    expect(output).toContain(video);
    // The length is the sum of both clips.
    expect((await probe(video)).duration).toBeCloseTo(5, 1);
    // The title is visible while it lasts, and gone after.
    expect(whiteShare(await frameAt(video, 1), TOP)).toBeGreaterThan(0.01);
    expect(whiteShare(await frameAt(video, 4), TOP)).toBe(0);
    // The music is audible over clips that have no sound of their own.
    expect(rms(await samples(video), 1, 4)).toBeGreaterThan(0.005);
  }, 180_000);
});
