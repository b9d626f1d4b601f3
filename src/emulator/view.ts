import { toShortKeys } from "./draft.js";
import type { SessionRecord } from "./store.js";
import type { EmulatedSessionView } from "./types.js";

/** A copy of a session for assertions; changing it changes nothing in the emulator. */
export function sessionView(session: SessionRecord): EmulatedSessionView {
  return {
    sessionId: session.id,
    taskId: session.taskId,
    taskName: session.taskName,
    language: session.language,
    userId: session.userId,
    draft: toShortKeys(session.draft, session.language),
    uploads: session.uploads.map((u) => ({ ...u })),
    messages: [...session.messages],
  };
}
