import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import { TINY_TUNING } from "../helpers/tuning.js";

/** The project's root, where `npm start` runs. */
export const ROOT = resolve(import.meta.dirname, "../..");

export { TINY_TUNING };

/** The settings a spawned bot process gets so that renders and polls take milliseconds, not minutes. */
export const FAST_ENV: Record<string, string> = {
  RENDER_POLL_MS: "100",
  RECOVERY_FIRST_WAIT_MS: "100",
  RECOVERY_POLL_MS: "100",
  RETRY_AFTER_429_MS: "100",
  STILL_WORKING_MS: "60000",
};

/**
 * The parent's environment without anything that would change what `src/main.ts` does (chat tokens,
 * a backend, a Redis, a role): each test says what it wants.
 */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const keep = ["PATH", "HOME", "LANG", "TMPDIR", "NODE_OPTIONS"];
  for (const name of keep) if (process.env[name] !== undefined) env[name] = process.env[name];
  return { ...env, ...extra };
}

export interface RunningProcess {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or the signal's name); rejects after `timeoutMs` with the output. */
  exited(timeoutMs: number): Promise<number | string>;
}

/** `src/main.ts` (what `npm start` runs) in a child process, through tsx's loader. */
export function startMain(env: NodeJS.ProcessEnv, options: { stdin?: "pipe" | "ignore" } = {}): RunningProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: ROOT,
    env,
    stdio: [options.stdin ?? "ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | string>((done) => {
    child.once("exit", (code, signal) => done(code ?? signal ?? "unknown"));
  });
  return {
    child,
    output: () => output,
    exited: (timeoutMs) =>
      new Promise((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`the process did not exit within ${timeoutMs} ms; it printed:\n${output}`)), timeoutMs);
        void exit.then((code) => {
          clearTimeout(timer);
          done(code);
        });
      }),
  };
}

/** Stops a child that a failed test left running. */
export function killIfRunning(process: RunningProcess | undefined): void {
  if (process && process.child.exitCode === null && process.child.signalCode === null) process.child.kill("SIGKILL");
}
