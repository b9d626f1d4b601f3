import { createLogger } from "../log.js";
import { startEmulator } from "./index.js";

/** `npm run emulator`: the NemoVideo emulator on EMULATOR_PORT (default 8787) until Ctrl-C. */

const port = Number(process.env.EMULATOR_PORT ?? 8787);
const limit = process.env.EMULATOR_ANON_LIMIT ? Number(process.env.EMULATOR_ANON_LIMIT) : undefined;
const logger = createLogger({ level: process.env.LOG_LEVEL ?? "info", pretty: process.stdout.isTTY });

const emulator = await startEmulator({ port, logger, ...(limit !== undefined ? { anonymousPerIpLimit: limit } : {}) });
console.log(`NemoVideo emulator listening on ${emulator.url}`);
console.log("This is an EMULATOR of the NemoVideo backend for tests and demos, not the real service.");
console.log(`Control: ${emulator.url}/__emulator/health, /__emulator/faults, /__emulator/counters`);

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: closing the emulator`);
  emulator.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
};
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));
