import type { Queue } from "bullmq";
import type { RedisClient } from "../../src/redis/client.js";
import type { WorkEnvelope, WorkOverviewItem } from "../../src/work/types.js";
import type { RenderJobData } from "../export.js";
import { renderJobId, sessionRendersKey } from "../keys.js";
import type { Markers } from "../markers.js";
import { kindOf, renderEtaMs } from "./estimate.js";
import type { LineKeeper } from "./keeper.js";

/**
 * `/status`: a session's items as the user thinks of them, numbered in one order (the running
 * item, the waiting ones in the order they will run, then the renders, oldest first), so that
 * `/cancel 2` names the item `/status` showed as 2.
 */

export interface OverviewDeps {
  redis: RedisClient;
  prefix: string;
  line: LineKeeper;
  markers: Markers;
  render: Queue<RenderJobData>;
}

function timeLeft(typical: number | undefined, since: number | undefined, now: number): number | undefined {
  if (typical === undefined) return undefined;
  const left = typical - (since === undefined ? 0 : Math.max(0, now - since));
  // Past its typical length: no honest figure left to give.
  return left > 0 ? left : undefined;
}

export async function sessionOverview(deps: OverviewDeps, sessionKey: string, now = Date.now()): Promise<WorkOverviewItem[]> {
  const { line, places, medians } = await deps.line.places(sessionKey, now);
  const items: Omit<WorkOverviewItem, "number">[] = [];
  const describe = (envelope: WorkEnvelope) => ({ id: envelope.id, item: envelope.item });
  if (line.running) {
    const left = timeLeft(medians[kindOf(line.running.envelope)], line.running.startedAt, now);
    items.push({ ...describe(line.running.envelope), state: "running", ...(left === undefined ? {} : { leftMs: left }) });
  }
  line.waiting.forEach((envelope, index) => {
    const place = places[index];
    items.push({ ...describe(envelope), state: "waiting", ...(place ? { place: { ahead: place.ahead, etaMs: place.etaMs } } : {}) });
  });
  const renders: { receivedAt: number; item: Omit<WorkOverviewItem, "number"> }[] = [];
  for (const envelopeId of await deps.redis.smembers(sessionRendersKey(deps.prefix, sessionKey))) {
    if ((await deps.markers.get("delivered", envelopeId)) !== null) continue;
    if ((await deps.markers.get("cancel", envelopeId)) !== null) continue;
    const job = await deps.render.getJob(renderJobId(envelopeId));
    if (!job) continue;
    const { envelope, step } = job.data;
    const left = renderEtaMs(step.firstReading, step.lastReading) ?? timeLeft(medians.render, step.startedAt, now);
    renders.push({
      receivedAt: envelope.receivedAt,
      item: { ...describe(envelope), state: "rendering", percent: step.lastReading?.percent ?? 0, ...(left === undefined ? {} : { leftMs: left }) },
    });
  }
  renders.sort((a, b) => a.receivedAt - b.receivedAt);
  return [...items, ...renders.map((r) => r.item)].map((item, index) => ({ ...item, number: index + 1 }));
}
