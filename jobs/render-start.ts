import type { SentRef } from "../src/chat/outbox.js";
import type { RedisClient } from "../src/redis/client.js";
import type { WorkEnvelope } from "../src/work/types.js";
import type { RenderJobData } from "./export.js";
import { draftFingerprint } from "./fingerprint.js";
import { renderJobId, sessionDraftRendersKey, sessionKeyOf, sessionRendersKey } from "./keys.js";
import { RENDER_JOB_OPTIONS, type WorkQueues } from "./queues.js";

/**
 * The render rule: one version of one session's draft renders once. The backend's "click Export"
 * starts an export, and users press Export too; a second request for a draft that is already
 * rendering is told so instead of starting another render.
 */
export function renderStarter(redis: RedisClient, queues: WorkQueues, options: { itemRetryMs: number }) {
  const { prefix } = queues;

  async function startRender(envelope: WorkEnvelope, sessionId: string, draft: Record<string, unknown>, statusRef: SentRef | undefined): Promise<"started" | "already-rendering"> {
    const sessionKey = sessionKeyOf(envelope.session);
    const rendersKey = sessionRendersKey(prefix, sessionKey);
    const draftsKey = sessionDraftRendersKey(prefix, sessionKey);
    const print = draftFingerprint(draft);
    // A session's captures run one at a time (its mailbox), so reading then writing here does not race.
    const owner = await redis.hget(draftsKey, print);
    const ownerLive =
      owner !== null &&
      owner !== envelope.id &&
      (await redis.sismember(rendersKey, owner)) === 1 &&
      (await queues.markers.get("cancel", owner)) === null &&
      // A capture re-run after a crash can list a render that has since been delivered.
      (await queues.markers.get("delivered", owner)) === null;
    if (ownerLive) return "already-rendering";
    await redis.hset(draftsKey, print, envelope.id);
    await redis.sadd(rendersKey, envelope.id);
    const data: RenderJobData = {
      envelope,
      sessionKey,
      sessionId,
      draft,
      step: { phase: "start", attempt: 1, startedAt: Date.now(), ...(statusRef ? { statusRef } : {}) },
    };
    await queues.render.add("render", data, {
      ...RENDER_JOB_OPTIONS,
      backoff: { type: "exponential", delay: options.itemRetryMs },
      jobId: renderJobId(envelope.id),
    });
    return "started";
  }

  /** A finished render no longer stands for its draft, nor counts as in flight. */
  async function forgetRender(data: RenderJobData): Promise<void> {
    const draftsKey = sessionDraftRendersKey(prefix, data.sessionKey);
    const print = draftFingerprint(data.draft);
    if ((await redis.hget(draftsKey, print)) === data.envelope.id) await redis.hdel(draftsKey, print);
    await redis.srem(sessionRendersKey(prefix, data.sessionKey), data.envelope.id);
  }

  /** A render given up on no longer counts as in flight (its draft may be rendered again). */
  async function dropRender(data: RenderJobData): Promise<void> {
    await redis.srem(sessionRendersKey(prefix, data.sessionKey), data.envelope.id);
  }

  return { startRender, forgetRender, dropRender };
}
