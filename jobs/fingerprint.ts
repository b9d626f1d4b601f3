import { createHash } from "node:crypto";
import type { SessionState } from "../src/nemo/types.js";

/** What a turn can change in a session, hashed: equal prints mean "nothing happened". */
export function fingerprintOf(state: SessionState | undefined): string {
  if (state === undefined) return "unknown";
  const meaningful = { draft: state.draft ?? null, videoInfos: state.videoInfos, generatedMedia: state.generatedMedia ?? null };
  return createHash("sha256").update(JSON.stringify(meaningful)).digest("hex").slice(0, 32);
}

/** A draft as it would render: equal prints make the same video. */
export function draftFingerprint(draft: unknown): string {
  return createHash("sha256").update(JSON.stringify(draft ?? null)).digest("hex").slice(0, 32);
}

/** What the `sent` marker holds: the session as it was before the message went out. */
export interface SentRecord {
  draft: unknown;
  fingerprint: string;
  sentAt: number;
  /** The session the message went to: recovery reads that one, whatever the chat uses since. */
  sessionId?: string;
}

export function parseSentRecord(text: string | null): SentRecord | undefined {
  if (text === null) return undefined;
  try {
    const value = JSON.parse(text) as Partial<SentRecord>;
    const record: SentRecord = { draft: value.draft ?? null, fingerprint: value.fingerprint ?? "unknown", sentAt: value.sentAt ?? 0 };
    if (typeof value.sessionId === "string") record.sessionId = value.sessionId;
    return record;
  } catch {
    return { draft: null, fingerprint: "unknown", sentAt: 0 };
  }
}
