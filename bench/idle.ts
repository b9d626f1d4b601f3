/**
 * Figure 5, idle footprint of the all-in-one process: `npm start` with ROLE=all and a Telegram
 * token pointing at the fake Bot API (so it long-polls, runs its workers and waits), against a
 * private redis-server and the emulator. Resident memory read from /proc after 10 s idle.
 *
 * `npm start` is `tsx src/main.ts`; we start `node --import tsx src/main.ts` (what tsx runs, minus
 * its wrapper process) so the pid is the app itself. The Docker image runs the compiled JavaScript
 * (`node dist/src/main.js`): that is measured too, built with tsconfig.build.json into bench/tmp.
 * Baseline, same run: a bare `node -e` process that imports nothing.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { openSync, closeSync, existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { procUsage } from "./lib/proc.js";
import { round } from "./lib/stats.js";
import { baseEnv, Stack, sleep, waitUntil } from "./lib/stack.js";
import { metric, type Metric } from "./report.js";

const IDLE_MS = 10_000;
const ROOT = fileURLToPath(new URL("../", import.meta.url));

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await gone;
  clearTimeout(timer);
}

/** Starts `args`, waits until `ready()`, then IDLE_MS; answers RSS then and CPU over the idle time. */
async function idleFootprint(stack: Stack, name: string, args: string[], env: NodeJS.ProcessEnv, ready: () => Promise<boolean>): Promise<{ rssMb: number; cpuPercent: number }> {
  const log = openSync(join(stack.logDir, `${name}.log`), "a");
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", log, log] });
  closeSync(log);
  try {
    await waitUntil(`${name} ready`, async () => (child.exitCode !== null ? Promise.reject(new Error(`${name} exited with ${child.exitCode}; see ${stack.logDir}`)) : ready()), 120_000, 100);
    const begin = procUsage(child.pid as number);
    await sleep(IDLE_MS);
    const end = procUsage(child.pid as number);
    return { rssMb: end.rssMb, cpuPercent: ((end.cpuMs - begin.cpuMs) / (end.at - begin.at)) * 100 };
  } finally {
    await stopProcess(child);
  }
}

export async function runIdle(): Promise<{ setup: string[]; metrics: Metric[]; notes: string[] }> {
  const stack = new Stack("idle");
  try {
    await stack.startRedis();
    const fake = await stack.startFakeTelegram();
    const emulator = await stack.startEmulator({ ffmpeg: false });
    const env = { ...baseEnv(), ...stack.appEnv(fake.info, emulator.info.url, { ROLE: "all", LOG_LEVEL: "info" }) };
    // Ready once the bot long-polls: a new getUpdates call since the last start.
    const polling = () => {
      let seen: number | undefined;
      return async () => {
        const count = (await fake.call<Record<string, number>>("counts")).getUpdates ?? 0;
        seen ??= count;
        return count > seen;
      };
    };

    const bare = await idleFootprint(stack, "bare-node", ["-e", "setInterval(() => {}, 1 << 30)"], baseEnv(), () => Promise.resolve(true));
    const tsx = await idleFootprint(stack, "npm-start", ["--import", "tsx", "src/main.ts"], env, polling());

    // The image's way: compiled JavaScript. Built into bench/tmp (node_modules resolve from the repo).
    const outDir = join(stack.dir, "build");
    const build = spawnSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json", "--outDir", outDir, "--sourceMap", "false"], { cwd: ROOT, encoding: "utf8" });
    const compiledMain = join(outDir, "src/main.js");
    const compiled = build.status === 0 && existsSync(compiledMain) ? await idleFootprint(stack, "compiled", [compiledMain], env, polling()) : undefined;

    const metrics: Metric[] = [
      metric({ name: "RSS after 10 s idle, npm start (tsx)", value: round(tsx.rssMb), unit: "MB", baseline: round(bare.rssMb), baselineLabel: "bare node -e", target: "≤ 150 MB", passIf: (v) => v <= 150 }),
    ];
    if (compiled) {
      metrics.push(metric({ name: "RSS after 10 s idle, compiled (node dist/src/main.js, the image)", value: round(compiled.rssMb), unit: "MB", baseline: round(bare.rssMb), baselineLabel: "bare node -e", target: "≤ 150 MB", passIf: (v) => v <= 150 }));
    }
    metrics.push(
      metric({ name: "CPU while idle, npm start", value: round(tsx.cpuPercent, 2), unit: "% of a core", baseline: round(bare.cpuPercent, 2), baselineLabel: "bare node" }),
      ...(compiled ? [metric({ name: "CPU while idle, compiled", value: round(compiled.cpuPercent, 2), unit: "% of a core" })] : []),
    );
    return {
      setup: [
        `ROLE=all with TELEGRAM_BOT_TOKEN set (long-polling the fake Bot API), workers on, REDIS_URL a private redis-server, LOG_LEVEL=info; RSS is VmRSS from /proc/<pid>/status ${IDLE_MS / 1000} s after the first long poll, CPU from /proc/<pid>/stat over those ${IDLE_MS / 1000} s.`,
        `npm start = \`node --import tsx src/main.ts\` (the tsx CLI's own wrapper process is not counted). Compiled = \`node dist/src/main.js\` as the Dockerfile runs it, built with tsconfig.build.json into bench/tmp.`,
        `Baseline: \`node -e "setInterval(() => {}, 1 << 30)"\`, same wait.`,
      ],
      metrics,
      notes: compiled ? [] : [`The compiled build failed (${build.status}): ${(build.stdout + build.stderr).slice(0, 400)}`],
    };
  } finally {
    await stack.close();
  }
}
