import { EventEmitter } from "node:events";
import type { Readable } from "node:stream";
import type { ReplyHandle } from "../../src/chat/message.js";
import type { Button, Outbox, PhotoFile, PhotoOptions, SentRef, VideoFile } from "../../src/chat/outbox.js";
import { RateLimitedError } from "../../src/errors.js";

/**
 * An Outbox that records everything the bot does in a chat, for tests that read like a chat:
 *
 *   await outbox.waitFor(/available/);
 *   expect(outbox.transcript()).toContain("Timeline");
 *
 * Status messages are edited in place (one entry, its history kept); videos are read to the last
 * byte, as a platform would. `failNext` makes the next call of a method throw, for fault tests.
 */

export type OutboxEntry =
  | { type: "text"; id: string; to: ReplyHandle; text: string; buttons?: Button[] }
  | { type: "status"; id: string; to: ReplyHandle; text: string; history: string[] }
  | { type: "video"; id: string; to: ReplyHandle; fileName: string; size: number; bytes: Buffer; caption?: string; buttons?: Button[] }
  | { type: "link"; id: string; to: ReplyHandle; text: string; url: string; buttons?: Button[] }
  /** A picture; `history` holds every caption it had (a refresh in place adds one). */
  | { type: "photo"; id: string; to: ReplyHandle; fileName: string; bytes: Buffer; width: number; height: number; caption?: string; buttons?: Button[]; history: string[] }
  | { type: "delete"; id: string; to: ReplyHandle; messageId: string }
  | { type: "activity"; id: string; to: ReplyHandle; activity: string };

type Method = "sendText" | "upsertStatus" | "sendVideo" | "sendLink" | "sendPhoto" | "deleteMessage";

export interface RecordingOutboxOptions {
  /** What `maxVideoBytes` answers (default 50 MB, Telegram's upload limit). */
  maxVideoBytes?: number;
  /** Whether `deleteMessage` succeeds (default true). */
  canDelete?: boolean;
}

export class RecordingOutbox implements Outbox {
  readonly entries: OutboxEntry[] = [];
  private readonly events = new EventEmitter();
  private seq = 0;
  private readonly failures = new Map<Method, unknown[]>();
  private readonly held = new Map<string, Promise<void>>();
  private readonly refusingNew = new Set<string>();
  maxVideo: number;
  canDelete: boolean;

  constructor(options: RecordingOutboxOptions = {}) {
    this.maxVideo = options.maxVideoBytes ?? 50 * 1024 * 1024;
    this.canDelete = options.canDelete ?? true;
    this.events.setMaxListeners(100);
  }

  /**
   * Calls `listener` with each new entry as it is recorded, before the outbox call returns (a test
   * can make the very next step fail). Returns the unsubscribe.
   */
  onEntry(listener: (entry: OutboxEntry) => void): () => void {
    const seen = new Set(this.entries);
    const onChange = (entry: OutboxEntry) => {
      if (seen.has(entry)) return;
      seen.add(entry);
      listener(entry);
    };
    this.events.on("change", onChange);
    return () => this.events.off("change", onChange);
  }

  /** The next call of `method` throws `error` (queue several for several calls). */
  failNext(method: Method, error: unknown = new Error(`${method} failed (test)`)): void {
    const list = this.failures.get(method) ?? [];
    list.push(error);
    this.failures.set(method, list);
  }

  async sendText(to: ReplyHandle, text: string, options?: { buttons?: Button[] }): Promise<SentRef> {
    this.maybeFail("sendText");
    return this.add({ type: "text", id: this.nextId(), to, text, ...(options?.buttons ? { buttons: options.buttons } : {}) });
  }

  /**
   * Edits of the status message `messageId` wait (as a send waits for the platform's limits) until
   * the returned function is called.
   */
  holdEditsOf(messageId: string): () => void {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    this.held.set(messageId, gate);
    return () => {
      this.held.delete(messageId);
      release();
    };
  }

  /**
   * New status messages in `chatId` wait (as a busy bot's send queue holds them) until the returned
   * function is called.
   */
  holdNewStatusesIn(chatId: string): () => void {
    return this.holdEditsOf(`new:${chatId}`);
  }

  /**
   * New status messages in `chatId` are refused as a busy platform refuses a message that gives way
   * (RateLimitedError, nothing sent) until the returned function is called.
   */
  refuseNewStatusesIn(chatId: string): () => void {
    this.refusingNew.add(chatId);
    return () => this.refusingNew.delete(chatId);
  }

  async upsertStatus(to: ReplyHandle, ref: SentRef | undefined, text: string): Promise<SentRef> {
    this.maybeFail("upsertStatus");
    if (!ref && this.refusingNew.has(to.chatId)) throw new RateLimitedError("busy: a new status message gives way", 1_000);
    const gate = ref ? this.held.get(ref.messageId) : this.held.get(`new:${to.chatId}`);
    if (gate) await gate;
    const existing = ref && this.entries.find((e) => e.type === "status" && e.id === ref.messageId);
    if (existing && existing.type === "status") {
      existing.history.push(text);
      existing.text = text;
      this.events.emit("change", existing);
      return { messageId: existing.id };
    }
    return this.add({ type: "status", id: ref?.messageId ?? this.nextId(), to, text, history: [text] });
  }

  maxVideoBytes(_to: ReplyHandle): number {
    return this.maxVideo;
  }

  async sendVideo(to: ReplyHandle, video: VideoFile, options?: { buttons?: Button[] }): Promise<SentRef> {
    this.maybeFail("sendVideo");
    const bytes = await readAll(await video.open());
    return this.add({
      type: "video",
      id: this.nextId(),
      to,
      fileName: video.fileName,
      size: bytes.length,
      bytes,
      ...(video.caption !== undefined ? { caption: video.caption } : {}),
      ...(options?.buttons ? { buttons: options.buttons } : {}),
    });
  }

  async sendLink(to: ReplyHandle, text: string, url: string, options?: { buttons?: Button[] }): Promise<SentRef> {
    this.maybeFail("sendLink");
    return this.add({ type: "link", id: this.nextId(), to, text, url, ...(options?.buttons ? { buttons: options.buttons } : {}) });
  }

  async sendPhoto(to: ReplyHandle, photo: PhotoFile, options?: PhotoOptions): Promise<SentRef> {
    this.maybeFail("sendPhoto");
    const fields = {
      fileName: photo.fileName,
      bytes: photo.bytes,
      width: photo.width,
      height: photo.height,
      ...(photo.caption !== undefined ? { caption: photo.caption } : {}),
      ...(options?.buttons ? { buttons: options.buttons } : {}),
    };
    const existing = options?.replace && this.entries.find((e) => e.type === "photo" && e.id === options.replace?.messageId);
    if (existing && existing.type === "photo") {
      Object.assign(existing, fields);
      existing.history.push(photo.caption ?? "");
      this.events.emit("change", existing);
      return { messageId: existing.id };
    }
    return this.add({ type: "photo", id: this.nextId(), to, ...fields, history: [photo.caption ?? ""] });
  }

  async deleteMessage(to: ReplyHandle, messageId: string): Promise<boolean> {
    this.maybeFail("deleteMessage");
    if (!this.canDelete) return false;
    this.add({ type: "delete", id: this.nextId(), to, messageId });
    return true;
  }

  async showActivity(to: ReplyHandle, activity: "upload_video" | "typing"): Promise<void> {
    this.add({ type: "activity", id: this.nextId(), to, activity });
  }

  /** Every text the chat shows (texts, statuses as they stand now, captions, links), optionally of one chat. */
  texts(chatId?: string): string[] {
    return this.visible(chatId).flatMap((e) => (textOf(e) === undefined ? [] : [textOf(e) as string]));
  }

  /** The chat as a person would read it, one line per message. */
  transcript(chatId?: string): string {
    return this.visible(chatId)
      .filter((e) => e.type !== "activity")
      .map((e) => {
        switch (e.type) {
          case "text":
            return `bot: ${e.text}${e.buttons ? ` [${e.buttons.map((b) => b.label).join("] [")}]` : ""}`;
          case "status":
            return `bot (status, ${e.history.length - 1} edits): ${e.text}`;
          case "video":
            return `bot: [video ${e.fileName}, ${e.size} bytes]${e.caption ? ` ${e.caption}` : ""}`;
          case "link":
            return `bot: ${e.text} <${e.url}>`;
          case "photo":
            return `bot: [picture ${e.fileName}, ${e.width}×${e.height}]${e.caption ? ` ${e.caption}` : ""}${e.buttons ? ` [${e.buttons.map((b) => b.label).join("] [")}]` : ""}`;
          case "delete":
            return `bot deleted message ${e.messageId}`;
          default:
            return "";
        }
      })
      .join("\n");
  }

  /**
   * Resolves with the first entry (already there or yet to come) whose text matches; rejects after
   * `timeoutMs` with the transcript so a failing test shows what the chat did say.
   */
  async waitFor(
    pattern: RegExp | string,
    options: { timeoutMs?: number; chatId?: string; type?: OutboxEntry["type"] } = {},
  ): Promise<OutboxEntry> {
    const test = (e: OutboxEntry) => {
      if (options.chatId !== undefined && e.to.chatId !== options.chatId) return false;
      if (options.type !== undefined && e.type !== options.type) return false;
      const text = textOf(e);
      if (text === undefined) return false;
      return typeof pattern === "string" ? text.includes(pattern) : pattern.test(text);
    };
    const found = this.entries.find(test);
    if (found) return found;
    return new Promise<OutboxEntry>((resolve, reject) => {
      const onChange = (entry: OutboxEntry) => {
        if (!test(entry)) return;
        clearTimeout(timer);
        this.events.off("change", onChange);
        resolve(entry);
      };
      const timer = setTimeout(() => {
        this.events.off("change", onChange);
        reject(new Error(`no message matching ${String(pattern)} within ${options.timeoutMs ?? 5000} ms; the chat says:\n${this.transcript()}`));
      }, options.timeoutMs ?? 5000);
      this.events.on("change", onChange);
    });
  }

  /** Forget everything recorded so far. */
  clear(): void {
    this.entries.length = 0;
  }

  private visible(chatId: string | undefined): OutboxEntry[] {
    return chatId === undefined ? this.entries : this.entries.filter((e) => e.to.chatId === chatId);
  }

  private add(entry: OutboxEntry): SentRef {
    this.entries.push(entry);
    this.events.emit("change", entry);
    return { messageId: entry.id };
  }

  private nextId(): string {
    this.seq += 1;
    return `m${this.seq}`;
  }

  private maybeFail(method: Method): void {
    const list = this.failures.get(method);
    if (list && list.length > 0) throw list.shift();
  }
}

function textOf(entry: OutboxEntry): string | undefined {
  switch (entry.type) {
    case "text":
    case "status":
      return entry.text;
    case "video":
    case "photo":
      return entry.caption ?? "";
    case "link":
      return `${entry.text} ${entry.url}`;
    default:
      return undefined;
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}
