import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { looksLikeMp4, makeTestClip } from "../helpers/media.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";
import { cleanEnv, FAST_ENV, killIfRunning, startMain, type RunningProcess } from "./support.js";

/**
 * What a new user does first: `npm start` with no account anywhere. No chat token opens the terminal
 * chat; no NEMO_API_BASE runs the built-in emulator. A script piped in reads like a conversation and
 * the process ends by itself after the bot's last answer.
 */

let dir: string;
let clip: string;
let main: RunningProcess | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "terminal-chat-"));
  clip = await makeTestClip(dir, { seconds: 2 });
});
afterEach(() => killIfRunning(main));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the terminal chat (npm start with no tokens)", () => {
  it("takes a piped upload, an edit and an export, saves a real MP4 and exits by itself", async () => {
    const exportDir = join(dir, "exports");
    main = startMain(cleanEnv({ ...FAST_ENV, REDIS_URL: testRedisUrl(), QUEUE_PREFIX: uniquePrefix("term"), EXPORT_DIR: exportDir }), { stdin: "pipe" });
    main.child.stdin?.end(`/upload ${clip}\ncut it to 1 second\ntimeline\nexport\n`);

    const code = await main.exited(60_000);
    const output = main.output();
    expect(code, output).toBe(0);
    expect(output).toContain("demo mode: local NemoVideo emulator; set NEMO_API_BASE to use the real service");
    expect(output).toContain(`Videos are saved in ${exportDir}`);
    // The conversation, in order: the clip is added, the edit is answered, the video is saved.
    const added = output.indexOf("Added to your project");
    const saved = output.lastIndexOf("🎬 saved ");
    expect(added, output).toBeGreaterThan(-1);
    expect(saved, output).toBeGreaterThan(output.indexOf("you> export"));

    const files = readdirSync(exportDir).filter((name) => name.endsWith(".mp4"));
    expect(files.length, output).toBeGreaterThan(0);
    for (const name of files) {
      expect(output).toContain(join(exportDir, name));
      expect(looksLikeMp4(readFileSync(join(exportDir, name)))).toBe(true);
    }
    // "timeline": the picture is saved beside the exports, its path printed under the track summary.
    const pictures = readdirSync(exportDir).filter((name) => name.endsWith("timeline.png"));
    expect(pictures.length, output).toBeGreaterThan(0);
    for (const name of pictures) {
      expect(output).toMatch(new RegExp(`Timeline \\(1 track\\):[\\s\\S]*🖼 +saved ${join(exportDir, name).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
      expect(readFileSync(join(exportDir, name)).subarray(1, 4).toString("latin1")).toBe("PNG");
    }
  });

  it("says what is wrong when /upload names no file, and carries on", async () => {
    main = startMain(cleanEnv({ ...FAST_ENV, REDIS_URL: testRedisUrl(), QUEUE_PREFIX: uniquePrefix("term"), EXPORT_DIR: join(dir, "none") }), { stdin: "pipe" });
    main.child.stdin?.end(`/upload ${join(dir, "missing.mp4")}\n/credits\n`);
    const code = await main.exited(30_000);
    const output = main.output();
    expect(code, output).toBe(0);
    expect(output).toContain(`No file at "${join(dir, "missing.mp4")}"`);
    expect(output).toMatch(/you> \/credits\nbot> .*credit/i);
  });
});
