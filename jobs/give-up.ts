import type { Platform } from "../src/chat/message.js";
import type { Outbox, SentRef } from "../src/chat/outbox.js";
import { messages } from "../src/i18n/index.js";
import type { WorkEnvelope } from "../src/work/types.js";

/**
 * An item (or a render) given up on after its tries: the user is told, and its status message ends
 * on "stopped", not mid-sentence. Never throws: it runs where a failure has already happened.
 */
export async function tellGaveUp(outboxOf: (platform: Platform) => Outbox, envelope: WorkEnvelope, statusRef: SentRef | undefined): Promise<void> {
  const outbox = outboxOf(envelope.replyTo.platform);
  const m = messages(envelope.locale);
  await outbox.sendText(envelope.replyTo, m.unknownError).catch(() => undefined);
  if (statusRef) await outbox.upsertStatus(envelope.replyTo, statusRef, m.turnStopped).catch(() => undefined);
}
