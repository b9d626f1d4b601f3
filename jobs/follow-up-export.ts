import type { Platform } from "../src/chat/message.js";
import type { Outbox } from "../src/chat/outbox.js";
import { admit, type Quotas } from "../src/quota/index.js";
import type { WorkEnvelope } from "../src/work/types.js";
import type { WorkQueues } from "./queues.js";

/**
 * An export that follows a turn: the user asked for it with the edit ("…and export"), or the
 * backend's words asked for one ("click Export", see src/chat/gui-translation.ts). It runs right
 * after the turn, at the front of the session's mailbox, once per turn.
 */
export function followUpExporter(queues: WorkQueues, quotas: Quotas, outbox: (platform: Platform) => Outbox) {
  return async function followUpExport(from: WorkEnvelope): Promise<void> {
    if ((await queues.markers.get("followup", from.id)) !== null) return;
    // An export the user asked for with the edit was paid when it was queued; one the backend's
    // "click Export" starts passes the same gate as `/export`.
    const paid = from.item.kind === "turn" && from.item.exportAfter === true;
    if (!paid) {
      const admission = await admit(quotas, from.session.userKey, ["export"], from.locale);
      if (!admission.ok) {
        await outbox(from.replyTo.platform).sendText(from.replyTo, admission.text);
        await queues.markers.set("followup", from.id, "refused");
        return;
      }
    }
    const exportEnvelope: WorkEnvelope = { ...from, id: `${from.id}-export`, item: { kind: "export" }, receivedAt: Date.now() };
    await queues.enqueue(exportEnvelope, "front");
    await queues.markers.set("followup", from.id);
  };
}
