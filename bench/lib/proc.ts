/** Resident memory and CPU time of any process, from /proc (Linux), for processes we cannot ask. */
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100;

export interface ProcUsage {
  rssMb: number;
  cpuMs: number;
  at: number;
}

export function procUsage(pid: number): ProcUsage {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  // After the parenthesised command name: state is field 3 (index 0 here), utime 14, stime 15.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { rssMb: rssKb / 1024, cpuMs: (ticks * 1000) / TICKS_PER_SECOND, at: Date.now() };
}

export interface SchedUsage {
  /** Time the process's threads ran on a core, and time they were ready to run but waited for one (ms). */
  runMs: number;
  waitMs: number;
  at: number;
}

/**
 * The scheduler's own account of a process (Linux schedstat, summed over its threads): a process
 * that waits for a core as long as it runs is slowed by the machine, not by its own work.
 */
export function procSched(pid: number): SchedUsage {
  let runNs = 0;
  let waitNs = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      const [run = "0", wait = "0"] = readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").trim().split(" ");
      runNs += Number(run);
      waitNs += Number(wait);
    } catch {
      // A thread that ended between the listing and the read.
    }
  }
  return { runMs: runNs / 1e6, waitMs: waitNs / 1e6, at: Date.now() };
}
