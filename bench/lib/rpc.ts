/**
 * A tiny request/answer protocol over Node's IPC channel, so the benchmark driver can ask a child
 * process (the bot, a worker, the emulator, the fake Telegram server) to do something or to report
 * its own resident memory and CPU time: those are only meaningful measured inside that process.
 */
import { fork, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";

interface Request {
  id: number;
  cmd: string;
  args?: unknown;
}
interface Answer {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}
interface Ready {
  ready: true;
  info: unknown;
}

export type RpcHandlers = Record<string, (args: unknown) => unknown>;

/** Child side: answers the driver's requests; cleans up and exits when the driver lets go or goes away. */
export function serveRpc(handlers: RpcHandlers, cleanup?: () => Promise<void>): void {
  process.on("message", (message: unknown) => {
    const request = message as Partial<Request>;
    if (typeof request?.id !== "number" || typeof request.cmd !== "string") return;
    const { id, cmd } = request;
    Promise.resolve()
      .then(() => {
        const handler = handlers[cmd];
        if (!handler) throw new Error(`unknown command ${cmd}`);
        return handler(request.args);
      })
      .then(
        (result) => process.send?.({ id, ok: true, result } satisfies Answer),
        (error: unknown) => process.send?.({ id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies Answer),
      );
  });
  // The driver died or is done: never outlive it (cleanup gets 15 s).
  process.on("disconnect", () => {
    const deadline = setTimeout(() => process.exit(0), 15_000);
    deadline.unref();
    void (cleanup?.() ?? Promise.resolve()).catch(() => undefined).finally(() => process.exit(0));
  });
}

export function announceReady(info: unknown): void {
  process.send?.({ ready: true, info } satisfies Ready);
}

export interface ChildHandle<Info = unknown> {
  name: string;
  pid: number;
  info: Info;
  process: ChildProcess;
  call<T = unknown>(cmd: string, args?: unknown, timeoutMs?: number): Promise<T>;
  /** Lets go of the channel (the child cleans up and exits), then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  kill(): Promise<void>;
}

export interface StartChildOptions {
  name: string;
  file: string;
  args?: string[];
  env: NodeJS.ProcessEnv;
  /** Child stdout/stderr go to `<logDir>/<name>.log`. */
  logDir: string;
  readyTimeoutMs?: number;
  /** Node flags besides `--import tsx` (e.g. `--expose-gc`). */
  nodeFlags?: string[];
}

/** Forks `node --import tsx <file>` (no tsx wrapper process: the pid is the process under test). */
export async function startChild<Info = unknown>(options: StartChildOptions): Promise<ChildHandle<Info>> {
  mkdirSync(options.logDir, { recursive: true });
  const logPath = join(options.logDir, `${options.name}.log`);
  const log = openSync(logPath, "a");
  const child = fork(options.file, options.args ?? [], {
    // Compiled JavaScript (`.js`) runs on plain node, as the Docker image runs it.
    execArgv: [...(options.file.endsWith(".js") ? [] : ["--import", "tsx"]), ...(options.nodeFlags ?? [])],
    env: options.env,
    stdio: ["ignore", log, log, "ipc"],
  });
  closeSync(log);
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.once("exit", (code, signal) => {
    exited = true;
    for (const p of pending.values()) p.reject(new Error(`${options.name} exited (${code ?? signal}); see ${logPath}`));
    pending.clear();
  });
  child.on("message", (message: unknown) => {
    const answer = message as Partial<Answer>;
    if (typeof answer?.id !== "number") return;
    const waiter = pending.get(answer.id);
    if (!waiter) return;
    pending.delete(answer.id);
    if (answer.ok) waiter.resolve(answer.result);
    else waiter.reject(new Error(`${options.name}: ${answer.error ?? "failed"}`));
  });

  const info = await new Promise<Info>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${options.name} not ready after ${options.readyTimeoutMs ?? 60_000} ms; see ${logPath}`)), options.readyTimeoutMs ?? 60_000);
    const onMessage = (message: unknown) => {
      const ready = message as Partial<Ready>;
      if (ready?.ready !== true) return;
      clearTimeout(timer);
      child.off("message", onMessage);
      resolve(ready.info as Info);
    };
    child.on("message", onMessage);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${options.name} exited at start (${code}); see ${logPath}`));
    });
  });

  const kill = async () => {
    if (exited) return;
    child.kill("SIGKILL");
    await exit;
  };
  return {
    name: options.name,
    pid: child.pid ?? -1,
    info,
    process: child,
    call<T>(cmd: string, args?: unknown, timeoutMs = 120_000): Promise<T> {
      if (exited) return Promise.reject(new Error(`${options.name} has exited; see ${logPath}`));
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${options.name}: ${cmd} took over ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v as T);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        child.send({ id, cmd, args } satisfies Request);
      });
    },
    async stop(graceMs = 10_000) {
      if (exited) return;
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      try {
        child.disconnect();
      } catch {
        child.kill("SIGKILL");
      }
      await exit;
      clearTimeout(timer);
    },
    kill,
  };
}
