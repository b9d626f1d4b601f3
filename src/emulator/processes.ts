import { spawn, type ChildProcess } from "node:child_process";

/**
 * Child processes (ffmpeg, ffprobe) run asynchronously, a few at a time; the rest wait in a queue.
 * close() kills whatever still runs so the emulator can stop promptly.
 */
export class ProcessPool {
  private running = 0;
  private waiting: Array<() => void> = [];
  private children = new Set<ChildProcess>();
  private closed = false;

  constructor(private readonly concurrency: number) {}

  get isClosed(): boolean {
    return this.closed;
  }

  /** Runs the command when a slot is free; resolves with stdout, rejects with the end of stderr. */
  async run(command: string, args: string[]): Promise<string> {
    await this.slot();
    try {
      return await this.spawnOnce(command, args);
    } finally {
      this.running -= 1;
      this.waiting.shift()?.();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.waiting.splice(0)) wake();
    const exits = [...this.children].map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once("close", () => resolve());
          child.kill("SIGKILL");
        }),
    );
    await Promise.all(exits);
  }

  private slot(): Promise<void> {
    if (this.running < this.concurrency) {
      this.running += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiting.push(() => {
        this.running += 1;
        resolve();
      });
    });
  }

  private spawnOnce(command: string, args: string[]): Promise<string> {
    if (this.closed) return Promise.reject(new Error("emulator closed"));
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
      this.children.add(child);
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        if (stdout.length < 1_000_000) stdout += chunk;
      });
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        stderr = (stderr + chunk).slice(-2000);
      });
      child.once("error", (error) => {
        this.children.delete(child);
        reject(error);
      });
      child.once("close", (code, signal) => {
        this.children.delete(child);
        if (code === 0) resolve(stdout);
        else reject(new Error(`${command} failed (${signal ?? String(code)}): ${stderr.trim()}`));
      });
    });
  }
}

const works = new Map<string, Promise<boolean>>();

/** True when the command runs (`<command> -version` exits 0); asked once per process. */
export function commandWorks(command: string): Promise<boolean> {
  let answer = works.get(command);
  if (!answer) works.set(command, (answer = tryCommand(command)));
  return answer;
}

function tryCommand(command: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(command, ["-version"], { stdio: "ignore" });
    child.once("error", () => resolve(false));
    child.once("close", (code) => resolve(code === 0));
  });
}
