import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startChild, type ChildHandle } from "../../bench/lib/rpc.js";
import type { EmulatorOptions, Fault } from "../../src/emulator/index.js";
import { cleanEnv, FAST_ENV, ROOT, startMain, type RunningProcess } from "../app/support.js";

/**
 * The product as production runs it, for end-to-end tests: `src/main.ts` (what `npm start` runs) in
 * a child process configured only through its environment, the NemoVideo emulator in a process of
 * its own (as `npm run emulator`), and the fake platform in the test's process. Three processes that
 * talk HTTP to each other: no wiring in one process can hide how the real modules load and meet.
 */

export { cleanEnv, FAST_ENV, startMain, type RunningProcess };

export interface EmulatorProcess {
  url: string;
  /** Queues faults in the emulator (see src/emulator/faults.ts). */
  addFaults(...faults: Fault[]): Promise<void>;
  stop(): Promise<void>;
}

/** Timings that keep a test short: turns in milliseconds, renders long enough to be seen polling. */
export const QUICK_EMULATOR: EmulatorOptions = {
  timing: { turnStepMs: 5, heartbeatMs: 20, renderMs: 300, heartbeatOnlyMs: 60_000 },
};

/** The emulator in a child process (bench/lib/emulator-child.ts: `startEmulator` with these options). */
export async function startEmulatorProcess(options: EmulatorOptions = QUICK_EMULATOR): Promise<EmulatorProcess> {
  const logDir = mkdtempSync(join(tmpdir(), "e2e-emulator-"));
  const child: ChildHandle<{ url: string }> = await startChild({
    name: "emulator",
    file: resolve(ROOT, "bench/lib/emulator-child.ts"),
    args: [JSON.stringify(options)],
    env: cleanEnv({}),
    logDir,
  });
  return {
    url: child.info.url,
    async addFaults(...faults) {
      await child.call("faults", faults);
    },
    stop: () => child.stop(),
  };
}

/** Resolves when the process has printed a line matching `pattern` (checked on every chunk it writes). */
export function waitForOutput(main: RunningProcess, pattern: RegExp, timeoutMs: number): Promise<void> {
  return new Promise((done, fail) => {
    const check = (): boolean => {
      if (!pattern.test(main.output())) return false;
      cleanup();
      done();
      return true;
    };
    const onExit = () => {
      cleanup();
      fail(new Error(`the process exited before printing ${String(pattern)}; it printed:\n${main.output()}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      fail(new Error(`no ${String(pattern)} within ${timeoutMs} ms; the process printed:\n${main.output()}`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      main.child.stdout?.off("data", check);
      main.child.stderr?.off("data", check);
      main.child.off("exit", onExit);
    };
    main.child.stdout?.on("data", check);
    main.child.stderr?.on("data", check);
    main.child.once("exit", onExit);
    check();
  });
}

/** SIGTERM, as docker and systemd stop it; resolves with the exit code. */
export async function stopMain(main: RunningProcess, timeoutMs = 30_000): Promise<number | string> {
  if (main.child.exitCode !== null || main.child.signalCode !== null) return main.child.exitCode ?? main.child.signalCode ?? "unknown";
  main.child.kill("SIGTERM");
  return main.exited(timeoutMs);
}

/** Waits for `work`, but fails at once with the bot's output if the bot process ends first. */
export async function whileRunning<T>(main: RunningProcess, work: Promise<T>): Promise<T> {
  const ended = new Promise<never>((_, fail) => {
    main.child.once("exit", (code, signal) => fail(new Error(`the bot exited (${code ?? signal}) while the test waited; it printed:\n${main.output()}`)));
  });
  // Once `work` is done the bot's later exit is no failure.
  ended.catch(() => undefined);
  if (main.child.exitCode !== null) throw new Error(`the bot had exited (${main.child.exitCode}); it printed:\n${main.output()}`);
  return Promise.race([work, ended]);
}
