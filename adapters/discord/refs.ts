import type { SentRef } from "../../src/chat/outbox.js";

/**
 * A posted message, encoded in SentRef.messageId: one the interaction's webhook posted (editable
 * through the webhook while the token lives), or a channel message (the channel, or the user's DM).
 */
export type DiscordRef = { kind: "webhook"; messageId: string } | { kind: "channel"; channelId: string; messageId: string };

export function encodeRef(ref: DiscordRef): SentRef {
  return { messageId: ref.kind === "webhook" ? `wh:${ref.messageId}` : `ch:${ref.channelId}:${ref.messageId}` };
}

export function decodeRef(ref: SentRef): DiscordRef | undefined {
  const [kind, a, b] = ref.messageId.split(":");
  if (kind === "wh" && a) return { kind: "webhook", messageId: a };
  if (kind === "ch" && a && b) return { kind: "channel", channelId: a, messageId: b };
  return undefined;
}
