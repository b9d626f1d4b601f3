/**
 * `npm run faults`: the long form of the fault suite (the short form runs in `npm test`, test/faults/).
 *
 *   1. Worker processes SIGKILLed at random moments across 100 exports (FAULT_EXPORTS, FAULT_KILLS).
 *   2. redis-server killed and restarted (AOF) several times under the running bot (FAULT_RESTARTS).
 *
 * The parser and draft fuzzes (100,000 inputs) are test/nemo/event-fuzz.test.ts and draft-fuzz.test.ts.
 * Replay a run's kill schedule with FAULT_SEED=<seed it printed>. Exits 1 when any target is missed.
 */
import { runKillScenario } from "../test/fixtures/fault-kill-run.js";
import { runRedisRestartScenario } from "../test/fixtures/fault-redis-restart.js";

const int = (name: string, fallback: number): number => {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
};

const log = (line: string) => console.log(line);
const failures: string[] = [];
const check = (ok: boolean, what: string) => {
  console.log(`  ${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
};

const started = Date.now();
const kill = await runKillScenario({ exports: int("FAULT_EXPORTS", 100), kills: int("FAULT_KILLS", 12), timeoutMs: 600_000, log });
check(kill.lost.length === 0, `0 exports lost (${kill.delivered}/${kill.exports} delivered)`);
check(kill.postedTwice.length === 0, `0 exports posted twice (${kill.postedTwice.join(", ") || "none"})`);
check(kill.sentTwice.length === 0, `0 messages sent to /run_sse twice (${kill.sentTwice.length})`);
check(kill.kills > 0 && kill.outstandingAtKill.every((n) => n > 0), `every kill landed with exports in flight (${kill.outstandingAtKill.join(", ")})`);
if (failures.length > 0) console.log(`  seed ${kill.seed}; worker stderr:\n${kill.workerErrors.join("\n")}`);

const restart = await runRedisRestartScenario({ users: int("FAULT_USERS", 20), restarts: int("FAULT_RESTARTS", 3), downMs: 2_000, timeoutMs: 120_000, log });
check(restart.lost.length === 0, `no item lost across ${restart.restarts} Redis restarts (${restart.users - restart.lost.length}/${restart.users} delivered)`);
check(restart.postedTwice.length === 0 && restart.sentTwice.length === 0, "nothing posted or sent twice across the restarts");
check(restart.answeredAfter && restart.exportAfter, "the bot answered and exported after the restarts without being restarted itself");

console.log(`fault suite: ${failures.length === 0 ? "all targets met" : `${failures.length} missed`} in ${Math.round((Date.now() - started) / 1000)} s`);
process.exit(failures.length === 0 ? 0 : 1);
