/**
 * `npm run faults`: the long fault run (its short form is test/faults/chaos.test.ts in `npm test`).
 *
 * 200 users make 1,000 edits and 1,000 exports through the product's real processes (ROLE=bot and
 * ROLE=worker, compiled as the image runs them) while at least 100 SIGKILLs hit the bot and the
 * workers at random moments, Redis is restarted 5 times (AOF), /run_sse answers 5xx in bursts (half
 * of them after applying the edit), render downloads break off and Telegram answers videos 429.
 * Writes bench/faults.md and bench/faults.json; exits 1 when any promise count is not 0.
 *
 * The whole run (build included) must end within 20 minutes (FAULT_MINUTES): the users stop sending
 * in time for the quiet wait and the report to fit, and a run that took longer fails.
 *
 * Knobs: FAULT_SEED (replay a schedule), FAULT_USERS, FAULT_EDITS and FAULT_EXPORTS (per user),
 * FAULT_KILLS (SIGKILLs that must land; 15% more are planned, since the run may end before the last
 * of them), FAULT_RESTARTS, FAULT_WORKERS, FAULT_MINUTES, FAULT_LOG_DIR (keep every process' log
 * there), FAULT_LOG_LEVEL (the processes' LOG_LEVEL, default warn; info tells more in those logs).
 */
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildProduct } from "../test/fixtures/chaos/fleet.js";
import { faultsMarkdown, machineNote } from "../test/fixtures/chaos/report.js";
import { runChaos } from "../test/fixtures/chaos/run.js";
import { brokenCounts } from "../test/fixtures/chaos/tally.js";
import { randomSeed } from "../test/helpers/random.js";

const int = (name: string, fallback: number): number => {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
};

const root = resolve(import.meta.dirname, "..");
const started = Date.now();
const log = (line: string) => console.log(line);
const users = int("FAULT_USERS", 200);
const kills = int("FAULT_KILLS", 100);
const endBy = started + int("FAULT_MINUTES", 20) * 60_000;

log("building the product as the image does (tsc -p tsconfig.build.json)…");
const entry = await buildProduct(join(root, "bench", "tmp", "fault-dist"));
const result = await runChaos({
  seed: randomSeed(),
  users,
  editsPerUser: int("FAULT_EDITS", 5),
  exportsPerUser: int("FAULT_EXPORTS", 5),
  workers: int("FAULT_WORKERS", 4),
  kills: Math.ceil(kills * 1.15),
  botKillShare: 0.3,
  // Kills come as fast as the victims are up again (each has been up 0.5–3 s), about every 3 s.
  firstKillMs: 5_000,
  killGapMs: 1_500,
  redisRestarts: int("FAULT_RESTARTS", 5),
  bursts: 5,
  burstMs: 12_000,
  spreadMs: 200_000,
  downloadFaultRate: 0.05,
  video429Rate: 0.05,
  itemTimeoutMs: 180_000,
  timeoutMs: 17 * 60_000,
  endBy,
  entry,
  log,
  ...(process.env.FAULT_LOG_LEVEL ? { logLevel: process.env.FAULT_LOG_LEVEL } : {}),
  ...(process.env.FAULT_LOG_DIR ? { logDir: resolve(process.env.FAULT_LOG_DIR) } : {}),
});

const finishedAt = new Date();
const wallMs = Date.now() - started;
const command = process.env.FAULT_SEED ? `FAULT_SEED=${process.env.FAULT_SEED} npm run faults` : "npm run faults";
writeFileSync(join(root, "bench", "faults.md"), faultsMarkdown(result, { command, machine: machineNote(), finishedAt, wallMs, minKills: kills }));
writeFileSync(join(root, "bench", "faults.json"), `${JSON.stringify({ finishedAt: finishedAt.toISOString(), machine: machineNote(), wallMs, ...result }, null, 2)}\n`);

// Second copies of a video within the README's stated bound (a worker killed right after Telegram took it) are counted, not failed.
const counts = brokenCounts(result.tally);
for (const [name, n] of Object.entries(result.tally.counts)) log(`  ${counts[name as keyof typeof counts] === 0 ? "ok  " : "FAIL"} ${name}: ${n}`);
const enoughKills = result.kills.length >= kills;
log(`  ${enoughKills ? "ok  " : "FAIL"} ${result.kills.length} kills landed, at least ${kills} asked for (${result.tally.totals.killsWithWorkInFlight} with messages in flight)`);
const inTime = Date.now() <= endBy;
log(`  ${inTime ? "ok  " : "FAIL"} the whole run took ${(wallMs / 60_000).toFixed(1)} minutes (limit ${int("FAULT_MINUTES", 20)})`);
if (result.logDir) log(`  process logs kept in ${result.logDir}`);
const ok = Object.values(counts).every((n) => n === 0) && enoughKills && inTime;
log(`fault run: ${ok ? "every promise held" : "promises broken"} (seed ${result.seed}) in ${Math.round(wallMs / 1000)} s; report in bench/faults.md`);
process.exit(ok ? 0 : 1);
