import { messages } from "../src/i18n/index.js";
import type { SentRef } from "../src/chat/outbox.js";
import type { WorkEnvelope } from "../src/work/types.js";
import type { JobContext } from "./context.js";

/**
 * A caption's request ("cut to 5 seconds", "export") is queued behind the upload of its files and
 * only makes sense with them. When any did not arrive, running it would edit or render a project
 * without the clip and answer "Done": instead it does not run, and the user is told what to resend.
 * True when the item was skipped (and the user told).
 */
export async function skippedForFailedUpload(ctx: JobContext, envelope: WorkEnvelope, statusRef: SentRef | undefined): Promise<boolean> {
  const failed = await failedUploadOf(ctx, envelope);
  if (failed === undefined) return false;
  const request = envelope.item.kind === "turn" ? envelope.item.text : undefined;
  const text = messages(envelope.locale).skippedAfterFailedUpload({ ...(request === undefined ? {} : { request }), names: failed });
  const outbox = ctx.outbox(envelope.replyTo.platform);
  // A status message that said "Queued" ends on these words rather than being left behind.
  if (statusRef) await outbox.upsertStatus(envelope.replyTo, statusRef, text);
  else await outbox.sendText(envelope.replyTo, text);
  ctx.logger.info({ item: envelope.id, upload: envelope.dependsOn }, "caption's request skipped: its upload failed");
  return true;
}

/**
 * The names of the files that did not arrive when the item's upload failed (an empty list when it
 * was given up on before recording them); undefined when the item may run.
 */
export async function failedUploadOf(ctx: JobContext, envelope: WorkEnvelope): Promise<string[] | undefined> {
  if (envelope.dependsOn === undefined) return undefined;
  const recorded = await ctx.markers.get("uploaded", envelope.dependsOn);
  // No record: the upload was given up on (or dropped) before it finished, so its files cannot be counted on.
  const failed = recorded === null ? [] : failedNames(recorded);
  return recorded !== null && failed.length === 0 ? undefined : failed;
}

function failedNames(recorded: string): string[] {
  try {
    const parsed = JSON.parse(recorded) as { failed?: unknown };
    return Array.isArray(parsed.failed) ? parsed.failed.filter((n): n is string => typeof n === "string") : [];
  } catch {
    return [];
  }
}
