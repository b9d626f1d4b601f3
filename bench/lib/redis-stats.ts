/**
 * What Redis itself saw over one part of a run: the commands it ran (INFO commandstats, summed over
 * a cluster's primaries) and, sampled, where a queue's jobs stood (waiting for a worker, running,
 * delayed and overdue). The scale-out figure divides them by the turns and polls of the window.
 */
import { primariesOf, type RedisClient } from "../../src/redis/client.js";

export interface CommandCount {
  calls: number;
  /** Time spent inside them, in µs (wall time: a Redis waiting for a core mid-command stretches it). */
  usec: number;
}

export type CommandStats = Map<string, CommandCount>;

export async function commandStats(client: RedisClient): Promise<CommandStats> {
  const stats: CommandStats = new Map();
  for (const node of primariesOf(client)) {
    const info = await node.info("commandstats");
    for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
      const [, name = "?", calls = "0", usec = "0"] = match;
      const seen = stats.get(name) ?? { calls: 0, usec: 0 };
      stats.set(name, { calls: seen.calls + Number(calls), usec: seen.usec + Number(usec) });
    }
  }
  return stats;
}

/** `after − before` per command, most calls first (commands the window did not run are left out). */
export function commandsBetween(before: CommandStats, after: CommandStats): [string, CommandCount][] {
  const out: [string, CommandCount][] = [];
  for (const [name, now] of after) {
    const then = before.get(name) ?? { calls: 0, usec: 0 };
    // INFO itself is the driver's, not the stack's.
    if (name === "info" || now.calls === then.calls) continue;
    out.push([name, { calls: now.calls - then.calls, usec: now.usec - then.usec }]);
  }
  return out.sort((a, b) => b[1].calls - a[1].calls);
}

/** "evalsha 6.1 (41 µs), bzpopmin 2.0 (…)…": the top commands per unit (a turn, a poll). */
export function perUnitText(commands: [string, CommandCount][], units: number, top = 12): string {
  const total = commands.reduce((sum, [, c]) => sum + c.calls, 0);
  const usec = commands.reduce((sum, [, c]) => sum + c.usec, 0);
  const per = (n: number) => (units > 0 ? n / units : Number.NaN);
  const each = commands.slice(0, top).map(([name, c]) => `${name} ${per(c.calls).toFixed(2)}`);
  return `${per(total).toFixed(1)} commands (${per(usec).toFixed(0)} µs inside Redis, wall time that a Redis waiting for a core stretches): ${each.join(", ")}`;
}

export interface QueueSample {
  /** Promoted or added, waiting for a worker to fetch it. */
  wait: number;
  active: number;
  delayed: number;
  /** Delayed jobs whose time has come but that no worker promoted yet. */
  overdue: number;
}

/** Samples one BullMQ queue's lists every `everyMs` until stopped; returns the means. */
export function sampleQueue(client: RedisClient, prefix: string, queue: string, everyMs = 250): () => Promise<QueueSample & { samples: number }> {
  const key = (part: string) => `${prefix}:${queue}:${part}`;
  const sums: QueueSample = { wait: 0, active: 0, delayed: 0, overdue: 0 };
  let samples = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      // BullMQ scores a delayed job by its due time × 0x1000 (see its moveToActive script).
      const [wait, active, delayed, overdue] = await Promise.all([
        client.llen(key("wait")),
        client.llen(key("active")),
        client.zcard(key("delayed")),
        client.zcount(key("delayed"), 0, Date.now() * 0x1000),
      ]);
      sums.wait += wait;
      sums.active += active;
      sums.delayed += delayed;
      sums.overdue += overdue;
      samples += 1;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    const mean = (n: number) => (samples > 0 ? n / samples : Number.NaN);
    return { wait: mean(sums.wait), active: mean(sums.active), delayed: mean(sums.delayed), overdue: mean(sums.overdue), samples };
  };
}

/** CPU seconds redis-server has used so far (INFO cpu: user + system, main thread and children), summed over primaries. */
export async function redisCpuSeconds(client: RedisClient): Promise<number> {
  let seconds = 0;
  for (const node of primariesOf(client)) {
    const info = await node.info("cpu");
    for (const match of info.matchAll(/^used_cpu_(?:sys|user):([\d.]+)/gm)) seconds += Number(match[1]);
  }
  return seconds;
}
