import type { JobContext } from "../../jobs/context.js";
import type { FinishedRender } from "../../jobs/delivery.js";
import { Markers } from "../../jobs/markers.js";
import { ProgressTurns } from "../../jobs/progress-turns.js";
import { DEFAULT_PACING } from "../../jobs/status-message.js";
import type { SessionContext } from "../../src/accounts/types.js";
import type { Outbox } from "../../src/chat/outbox.js";
import { silentLogger } from "../../src/log.js";
import type { WorkEnvelope } from "../../src/work/types.js";
import { sessionOf, until, type Harness } from "./harness.js";

/**
 * A render of the user's project started under the export's item id and waited for until the
 * backend says it is completed: what a render job hands to `deliverRender`, for tests that drive
 * delivery runs by hand (two runs of one job at once).
 */
export async function completedRenderOf(h: Harness, user: number, envelope: WorkEnvelope): Promise<{ session: SessionContext; finished: FinishedRender }> {
  return h.accounts.withSession(sessionOf(user), async (session) => {
    const state = await h.nemo.state(session.auth, session.sessionId);
    const started = await h.nemo.startRender(session.auth, { id: `render_${envelope.id}_1`, sessionId: session.sessionId, draft: state.draft as Record<string, unknown> });
    let status = started;
    await until(async () => {
      status = await h.nemo.renderStatus(session.auth, started.id);
      return status.status === "completed";
    }, 20_000, "the render completed");
    return { session, finished: { id: status.id, ...(status.outputUrl === undefined ? {} : { outputUrl: status.outputUrl }) } };
  });
}

/** A job context for delivery alone: the harness' real backend, accounts and Redis, and `outbox`. */
export function deliveryContext(h: Harness, outbox: Outbox): JobContext {
  return {
    config: h.config,
    nemo: h.nemo,
    accounts: h.accounts,
    outbox: () => outbox,
    openAttachment: () => Promise.reject(new Error("not used")),
    logger: silentLogger,
    markers: new Markers(h.redis, h.prefix),
    progressTurns: new ProgressTurns(h.redis, h.prefix),
    pacing: DEFAULT_PACING,
    events: {},
    followUpExport: () => Promise.resolve(),
    startRender: () => Promise.resolve("started"),
  };
}
