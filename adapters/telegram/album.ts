import type { TelegramMessage } from "./to-chat-message.js";

/**
 * Telegram delivers an album (`media_group_id`) as one message per file, a few milliseconds
 * apart. The gatherer holds them for a short window and hands on ONE message with every file,
 * so the album becomes one upload. Before any other message of the same chat is handled the
 * chat's pending albums are flushed, so arrival order holds.
 */
export class AlbumGatherer {
  private readonly pending = new Map<string, { chatId: string; parts: TelegramMessage[]; timer: NodeJS.Timeout; handed: () => void; done: Promise<void> }>();

  constructor(
    private readonly windowMs: number,
    /** `albumId`: the chat and the media group, the album's identity however its parts arrive. Settles when the album was handled. */
    private readonly onAlbum: (message: TelegramMessage, albumId: string) => Promise<void>,
  ) {}

  /**
   * Resolves when the album this part belongs to was handled (every part gets the same promise):
   * until then the part's update is not done, so Telegram is not told it may forget it.
   */
  add(groupId: string, message: TelegramMessage): Promise<void> {
    const key = `${message.chatId}:${groupId}`;
    const entry = this.pending.get(key);
    if (entry) clearTimeout(entry.timer);
    let handed = entry?.handed;
    let done = entry?.done;
    if (!handed || !done) {
      let resolve: () => void = () => undefined;
      done = new Promise<void>((r) => {
        resolve = () => r();
      });
      handed = resolve;
    }
    const parts = [...(entry?.parts ?? []), message];
    const timer = setTimeout(() => this.flush(key), this.windowMs);
    this.pending.set(key, { chatId: message.chatId, parts, timer, handed, done });
    return done;
  }

  /** Hands on every album of this chat that is still gathering. */
  flushChat(chatId: string): void {
    for (const [key, entry] of this.pending) if (entry.chatId === chatId) this.flush(key);
  }

  flushAll(): void {
    for (const key of [...this.pending.keys()]) this.flush(key);
  }

  private flush(key: string): void {
    const entry = this.pending.get(key);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.pending.delete(key);
    // onAlbum never rejects in practice (the adapter logs its failures); settle either way.
    void this.onAlbum(mergeAlbum(entry.parts), key).finally(entry.handed).catch(() => undefined);
  }
}

/** One message for the whole album: every file in order, the caption wherever it was. */
export function mergeAlbum(parts: TelegramMessage[]): TelegramMessage {
  const ordered = [...parts].sort((a, b) => Number(a.messageId) - Number(b.messageId));
  const first = ordered[0] as TelegramMessage;
  const captioned = ordered.find((p) => p.text.trim() !== "") ?? first;
  return {
    ...captioned,
    messageId: first.messageId,
    replyTo: first.replyTo,
    // In a group the mention is in the one caption: the album is addressed when any part is.
    addressed: ordered.some((p) => p.addressed),
    attachments: ordered.flatMap((p) => p.attachments),
  };
}

/** Runs each chat's work one piece at a time in arrival order; chats run in parallel. */
export class ChatQueue {
  private readonly tails = new Map<string, Promise<void>>();

  run(chatId: string, work: () => Promise<void>): Promise<void> {
    const previous = this.tails.get(chatId) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    this.tails.set(chatId, tail);
    void tail.then(() => {
      if (this.tails.get(chatId) === tail) this.tails.delete(chatId);
    });
    return next;
  }

  /** Resolves when every chat's queued work is done. */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }
}
