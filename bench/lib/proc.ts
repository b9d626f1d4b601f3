/** Resident memory and CPU time of any process, from /proc (Linux), for processes we cannot ask. */
import { readFileSync } from "node:fs";

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
