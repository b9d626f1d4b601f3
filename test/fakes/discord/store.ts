import { EventEmitter } from "node:events";

/** A file the fake received in a message (multipart from @discordjs/rest). */
export interface FakeFile {
  name: string;
  contentType: string;
  bytes: Buffer;
}

/** One message the fake holds, with every content it had (edits in order). */
export interface FakeMessage {
  id: string;
  channelId: string;
  /** How it arrived: through an interaction's webhook, or as a plain channel message. */
  via: "webhook" | "channel";
  interactionId: string | undefined;
  content: string;
  /** Earlier contents, oldest first; the current one is `content`. */
  history: string[];
  flags: number;
  components: unknown[];
  files: FakeFile[];
  deleted: boolean;
  createdAt: number;
  editedAt: number | undefined;
  /** The `nonce` the message was created with (channel posts), as Discord echoes it back. */
  nonce: string | undefined;
}

/** An interaction the fake dispatched, and what the app did with it. */
export interface FakeInteraction {
  id: string;
  token: string;
  type: 2 | 3;
  name: string;
  userId: string;
  channelId: string;
  guildId: string | undefined;
  dispatchedAt: number;
  /** The first callback (defer or reply): its type, flags, and how long after the dispatch it came. */
  callback: { type: number; flags: number; at: number; afterMs: number } | undefined;
  originalId: string | undefined;
  /** After this time the webhook token answers 50027. */
  tokenExpiresAt: number;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  at: number;
  status: number;
  /** The JSON text or payload_json, never file bytes. */
  bodyText: string;
}

/** Everything the fake Discord has seen; emits "change" on every mutation so waiters can re-check. */
export class FakeStore extends EventEmitter {
  readonly messages = new Map<string, FakeMessage>();
  readonly interactions = new Map<string, FakeInteraction>();
  readonly requests: ReceivedRequest[] = [];
  readonly registeredCommands = new Map<string, unknown[]>();
  readonly dmChannels = new Map<string, string>();
  /** Channels where the app has no access (50001). */
  readonly deniedChannels = new Set<string>();
  /** Users whose DMs are closed (50007). */
  readonly closedDms = new Set<string>();
  heartbeats = 0;
  identifies: Array<{ token: string; intents: number }> = [];

  changed(): void {
    this.emit("change");
  }

  interactionByToken(token: string): FakeInteraction | undefined {
    for (const interaction of this.interactions.values()) if (interaction.token === token) return interaction;
    return undefined;
  }

  messagesIn(channelId: string): FakeMessage[] {
    return [...this.messages.values()].filter((m) => m.channelId === channelId && !m.deleted);
  }

  /** Every text the app sent the fake (JSON bodies and payload_json), for "never echoed" checks. */
  allReceivedText(): string {
    return this.requests.map((r) => `${r.method} ${r.path}\n${r.bodyText}`).join("\n");
  }
}
