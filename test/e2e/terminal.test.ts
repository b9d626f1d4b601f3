import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { messages } from "../../src/i18n/index.js";
import { killIfRunning, ROOT } from "../app/support.js";
import { looksLikeMp4, makeTestClip } from "../helpers/media.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";
import { cleanEnv, FAST_ENV, startEmulatorProcess, startMain, type EmulatorProcess, type RunningProcess } from "./support.js";

/**
 * The terminal chat as a newcomer runs it: `printf '…' | npm start`, with nothing configured but a
 * Redis. The demo's emulator lives in the process and starts empty on every run while Redis keeps
 * what it is given, so a second run on the same Redis must not meet the first run's session.
 */

const en = messages("en");
const LOST_PROJECT = [en.sessionReplaced, en.sessionReplacedWithFiles, en.errSessionLost, "no longer had your previous project"];
let dir: string;
let clip: string;
let running: RunningProcess | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "e2e-terminal-"));
  clip = await makeTestClip(dir, { seconds: 4, name: "clip.mp4" });
});
afterEach(() => killIfRunning(running));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `npm start` itself (prestart included), the script piped into its stdin. */
function npmStart(env: NodeJS.ProcessEnv, script: string): RunningProcess {
  const child = spawn("npm", ["start", "--silent"], { cwd: ROOT, env, stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | string>((done) => child.once("exit", (code, signal) => done(code ?? signal ?? "unknown")));
  child.stdin.end(script);
  const process: RunningProcess = {
    child,
    output: () => output,
    exited: (timeoutMs) =>
      new Promise((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`npm start did not exit within ${timeoutMs} ms; it printed:\n${output}`)), timeoutMs);
        void exit.then((code) => {
          clearTimeout(timer);
          done(code);
        });
      }),
  };
  running = process;
  return process;
}

/** The MP4s a run saved: each named in its output and a real MP4. */
function savedVideos(exportDir: string, output: string): string[] {
  const files = readdirSync(exportDir).filter((name) => name.endsWith(".mp4"));
  for (const name of files) {
    expect(output).toContain(join(exportDir, name));
    expect(looksLikeMp4(readFileSync(join(exportDir, name)))).toBe(true);
  }
  return files;
}

describe("the terminal chat through the product's process", { timeout: 240_000 }, () => {
  it("two demo runs in a row on one Redis both end with a saved MP4, and neither mentions a lost project", async () => {
    // One Redis and one QUEUE_PREFIX for both runs, as on a laptop with redis-server on 6379.
    const shared = { ...FAST_ENV, REDIS_URL: testRedisUrl(), QUEUE_PREFIX: uniquePrefix("e2e-term"), npm_config_update_notifier: "false" };
    for (const run of [1, 2]) {
      const exportDir = join(dir, `exports-${run}`);
      const main = npmStart(cleanEnv({ ...shared, EXPORT_DIR: exportDir }), `/upload ${clip} cut it to 3 seconds\nexport\n`);
      const code = await main.exited(180_000);
      const output = main.output();
      expect(code, output).toBe(0);
      expect(output).toContain("demo mode: local NemoVideo emulator");
      for (const words of LOST_PROJECT) expect(output, `run ${run}`).not.toContain(words);
      expect(savedVideos(exportDir, output).length, output).toBeGreaterThan(0);
    }
  });

  it("against an emulator in another process (NEMO_API_BASE): upload, edit and export end with a saved MP4", async () => {
    const emulator: EmulatorProcess = await startEmulatorProcess();
    try {
      const exportDir = join(dir, "exports-remote");
      const main = startMain(cleanEnv({ ...FAST_ENV, NEMO_API_BASE: emulator.url, REDIS_URL: testRedisUrl(), QUEUE_PREFIX: uniquePrefix("e2e-term"), EXPORT_DIR: exportDir }), { stdin: "pipe" });
      running = main;
      main.child.stdin?.end(`/upload ${clip} cut it to 3 seconds\nexport\n`);
      const code = await main.exited(180_000);
      const output = main.output();
      expect(code, output).toBe(0);
      expect(output).not.toContain("demo mode");
      expect(output).toContain(en.uploadDone({ names: ["clip.mp4"] }));
      expect(savedVideos(exportDir, output).length, output).toBeGreaterThan(0);
    } finally {
      await emulator.stop();
    }
  });
});
