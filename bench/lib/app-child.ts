/**
 * A bot or worker process under test: `startApp` with the configuration in its environment
 * (ROLE=bot, ROLE=worker or all), exactly as `npm start` wires it, plus the benchmark's RPC for
 * memory and CPU. Flags:
 *   --fast-pacing    status edits unpaced (setup workers only, never a measured one)
 *   --time-uploads   records when each NemoVideo upload starts and ends, with RSS sampled every 25 ms
 */
import { startApp, type App } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import { createNemoClient, type NemoClient } from "../../src/nemo/index.js";
import { skillProfile } from "../../src/nemo/skills.js";
import { announceReady, serveRpc } from "./rpc.js";
import { UsageWindow, usageHandlers, usageNow, type WindowReport } from "./usage.js";

interface UploadTiming {
  startedAt: number;
  endedAt: number;
  bytes: number;
  rssBeforeMb: number;
  window: WindowReport;
  error?: string;
}

const config = loadConfig(process.env);
const logger = createLogger({ level: config.LOG_LEVEL, pretty: false });
const uploads: UploadTiming[] = [];

let nemo: NemoClient | undefined;
if (process.argv.includes("--time-uploads")) {
  const base = createNemoClient(config, skillProfile(config.SKILL_PROFILE), { logger: logger.child({ component: "nemo" }) });
  // The same client, with uploadFiles timed: everything else falls through to the real one.
  const timed = Object.create(base) as NemoClient;
  timed.uploadFiles = async (...args: Parameters<NemoClient["uploadFiles"]>) => {
    const before = usageNow();
    const window = new UsageWindow(25);
    const bytes = args[2].reduce((sum, f) => sum + (f.size ?? 0), 0);
    let failure: string | undefined;
    try {
      return await base.uploadFiles(...args);
    } catch (error) {
      failure = String(error);
      throw error;
    } finally {
      uploads.push({ startedAt: before.at, endedAt: Date.now(), bytes, rssBeforeMb: before.rssMb, window: window.stop(), ...(failure ? { error: failure } : {}) });
    }
  };
  nemo = timed;
}

const fast = process.argv.includes("--fast-pacing");
const app: App = await startApp({
  config,
  logger,
  ...(nemo ? { nemo } : {}),
  ...(fast ? { workerTuning: { pacing: { privateMs: 0, groupMs: 0 } } } : {}),
});

serveRpc(
  {
    ...usageHandlers(),
    uploads: () => uploads,
    health: () => app.health(),
  },
  () => app.close(),
);
announceReady({ role: config.ROLE, pid: process.pid, usage: usageNow() });
