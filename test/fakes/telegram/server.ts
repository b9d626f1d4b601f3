import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FloodControl } from "./flood-control.js";
import { readMultipart } from "../../../src/emulator/multipart.js";

/**
 * A fake Telegram Bot API on loopback: real long polling, real multipart uploads, file downloads,
 * Telegram's flood control (flood-control.ts: 429 with `retry_after` for a bot over its limits),
 * programmable 429s, and a chat-like face for tests (`fake.userSends(...)`, `fake.waitForMessage(...)`).
 * It answers like the real server (HTTP 200 `{ok:true,result}` or `{ok:false,error_code,description}`).
 */

export const FAKE_BOT_TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijklmn";
const CLOUD_DOWNLOAD_LIMIT = 20 * 1024 * 1024;
/** sendPhoto: "The photo must be at most 10 MB in size. The photo's width and height must not exceed 10000 in total. Width and height ratio must be at most 20." */
const PHOTO_LIMIT = 10 * 1024 * 1024;

export interface FakeFileInput {
  /** A file on disk whose bytes the fake serves. */
  path?: string;
  bytes?: Uint8Array;
  /** The size Telegram reports (defaults to the bytes' length): lets a test claim 300 MB without the bytes. */
  size?: number;
  mime?: string;
  fileName?: string;
  duration?: number;
  width?: number;
  height?: number;
  /** For a video or photo: the bytes of the small JPEG Telegram makes of it (a video without one gets no `thumbnail`). */
  thumbnail?: Uint8Array;
}

export interface UserSends {
  chatId: number;
  userId?: number;
  firstName?: string;
  languageCode?: string;
  chatType?: "private" | "group" | "supergroup";
  text?: string;
  caption?: string;
  video?: FakeFileInput;
  photo?: FakeFileInput;
  document?: FakeFileInput;
  audio?: FakeFileInput;
  voice?: FakeFileInput;
  animation?: FakeFileInput;
  sticker?: FakeFileInput;
  /** Other content as the Bot API sends it: `location`, `contact`, `poll`, `dice`, `venue`, `pinned_message`… */
  content?: Record<string, unknown>;
  /** Reply to the bot's last message in this chat (or to the given message id). */
  replyToBot?: boolean | number;
  mediaGroupId?: string;
}

export interface FakeMessage {
  messageId: number;
  chatId: number;
  from: "bot" | "user";
  kind: "text" | "video" | "document" | "photo" | "user";
  /** The current text (or caption). */
  text: string;
  /** Every text it had, oldest first (edits append). */
  history: string[];
  replyMarkup: unknown;
  replyTo: number | undefined;
  deleted: boolean;
  /** When the message was posted (Date.now()). */
  at: number;
}

export interface SentVideo {
  messageId: number;
  method: "sendVideo" | "sendDocument";
  fields: Record<string, string>;
  fileName: string | undefined;
  bytes: Buffer;
  /** When the upload was answered (Date.now()). */
  at: number;
}

export interface SentPhoto {
  messageId: number;
  /** sendPhoto, or editMessageMedia when the picture replaced an earlier one. */
  method: "sendPhoto" | "editMessageMedia";
  fileName: string | undefined;
  bytes: Buffer;
  width: number;
  height: number;
}

export interface RecordedRequest {
  method: string;
  /** The request path with the bot token replaced by `<token>` (kept raw in `rawPath`). */
  path: string;
  rawPath: string;
  params: Record<string, unknown>;
  at: number;
}

interface StoredFile {
  fileId: string;
  uniqueId: string;
  filePath: string;
  size: number;
  bytes: () => Buffer;
}

interface FailRule {
  times: number;
  errorCode: number;
  description: string;
  retryAfter?: number;
  /** An answer in another shape than the Bot API's own (a proxy's), sent as is with `errorCode` as the HTTP status. */
  body?: Json;
  /** Only calls for this chat. */
  chatId?: number;
}

type Json = Record<string, unknown>;

export interface FakeTelegramOptions {
  token?: string;
  botUsername?: string;
  /** Acts like `telegram-bot-api --local`: absolute file paths, no 20 MB download limit. */
  local?: boolean;
  /**
   * Runs Telegram's limits faster (0.1: one message per 100 ms in a chat). Only for a bot whose own
   * limiter is given the same scale; the limits are always on.
   */
  timeScale?: number;
  /**
   * The bot's own limit in messages a second (default 30). Telegram lifts it for bots with paid
   * broadcasts enabled, up to 1000 ("Bots FAQ: How can I message all of my bot's subscribers at
   * once?"); the per-chat limits stay.
   */
  botMessagesPerSecond?: number;
}

export class FakeTelegram {
  readonly token: string;
  readonly botId: number;
  readonly botUsername: string;
  readonly requests: RecordedRequest[] = [];
  /** Messages refused by flood control (not the ones a test programmed with `failNext`). */
  readonly floodRefusals: RecordedRequest[] = [];
  readonly local: boolean;
  apiRoot = "";

  private server: Server | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), "fake-telegram-"));
  private updates: Json[] = [];
  /** Every update ever created, by id (for `redeliver`). */
  private readonly delivered = new Map<number, Json>();
  private nextUpdateId = 1;
  private nextMessageId = 1;
  private nextFileId = 1;
  private readonly files = new Map<string, StoredFile>();
  private readonly chats = new Map<number, FakeMessage[]>();
  private readonly videos = new Map<number, SentVideo[]>();
  private readonly photos = new Map<number, SentPhoto[]>();
  private readonly failRules = new Map<string, FailRule[]>();
  /** Methods whose requests wait unanswered until released (see `hold`). */
  private readonly holds = new Map<string, Promise<void>>();
  private pollers = new Set<() => void>();
  private changeWaiters = new Set<() => void>();
  private readonly floodControl: FloodControl;
  /** update_id → how many getUpdates answers carried it (more than one: it was not confirmed in time). */
  private readonly deliveries = new Map<number, number>();
  private readonly deliveryListeners = new Set<(updateIds: number[]) => void>();

  constructor(options: FakeTelegramOptions = {}) {
    this.floodControl = new FloodControl(options.timeScale ?? 1, options.botMessagesPerSecond);
    this.token = options.token ?? FAKE_BOT_TOKEN;
    this.botId = Number(this.token.split(":")[0]);
    this.botUsername = options.botUsername ?? "nemo_test_bot";
    this.local = options.local ?? false;
  }

  async listen(): Promise<this> {
    const server = createServer((req, res) => {
      this.route(req, res).catch((error: unknown) => {
        res.writeHead(500).end(String(error));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.server = server;
    this.apiRoot = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const release of this.pollers) release();
    this.pollers.clear();
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  // ---------------------------------------------------------------- the chat-like face for tests

  /** A user posts a message; returns it as the update carries it. */
  userSends(input: UserSends): { updateId: number; messageId: number; message: Json } {
    const chatType = input.chatType ?? "private";
    const userId = input.userId ?? (chatType === "private" ? input.chatId : 4242);
    const messageId = this.nextMessageId++;
    const message: Json = {
      message_id: messageId,
      date: Math.floor(Date.now() / 1000),
      chat:
        chatType === "private"
          ? { id: input.chatId, type: "private", first_name: input.firstName ?? "Ada" }
          : { id: input.chatId, type: chatType, title: "Test group" },
      from: {
        id: userId,
        is_bot: false,
        first_name: input.firstName ?? "Ada",
        ...(input.languageCode ? { language_code: input.languageCode } : {}),
      },
    };
    if (input.text !== undefined) {
      message.text = input.text;
      const entities = entitiesOf(input.text);
      if (entities.length > 0) message.entities = entities;
    }
    if (input.caption !== undefined) {
      message.caption = input.caption;
      const entities = entitiesOf(input.caption);
      if (entities.length > 0) message.caption_entities = entities;
    }
    if (input.mediaGroupId) message.media_group_id = input.mediaGroupId;
    if (input.video) message.video = { ...this.fileFields(input.video, "video/mp4"), ...mediaFields(input.video, 320, 240), ...this.thumbnailField(input.video) };
    if (input.animation) message.animation = { ...this.fileFields(input.animation, "video/mp4"), ...mediaFields(input.animation, 320, 240) };
    if (input.document) message.document = this.fileFields(input.document, "application/octet-stream", "file.bin");
    if (input.audio) message.audio = { ...this.fileFields(input.audio, "audio/mpeg"), duration: input.audio.duration ?? 2 };
    if (input.voice) message.voice = { ...this.fileFields(input.voice, "audio/ogg"), duration: input.voice.duration ?? 2 };
    if (input.sticker) message.sticker = { ...this.fileFields(input.sticker, "image/webp"), type: "regular", width: 512, height: 512, is_animated: false, is_video: false };
    if (input.photo) message.photo = this.photoSizes(input.photo);
    if (input.content) Object.assign(message, input.content);
    if (input.replyToBot !== undefined && input.replyToBot !== false) {
      const target =
        typeof input.replyToBot === "number"
          ? this.find(input.chatId, input.replyToBot)
          : this.messages(input.chatId).at(-1);
      if (target) message.reply_to_message = this.asBotMessage(target);
    }
    this.chat(input.chatId).push({
      messageId,
      chatId: input.chatId,
      from: "user",
      kind: "user",
      text: input.text ?? input.caption ?? "",
      history: [input.text ?? input.caption ?? ""],
      replyMarkup: undefined,
      replyTo: undefined,
      deleted: false,
      at: Date.now(),
    });
    const updateId = this.pushUpdate({ message });
    return { updateId, messageId, message };
  }

  /** The user presses an inline button under one of the bot's messages. */
  pressButton(chatId: number, messageId: number, data: string, options: { userId?: number; languageCode?: string } = {}): { updateId: number; callbackId: string } {
    const target = this.find(chatId, messageId);
    const callbackId = `cb${this.nextUpdateId}`;
    const updateId = this.pushUpdate({
      callback_query: {
        id: callbackId,
        from: { id: options.userId ?? chatId, is_bot: false, first_name: "Ada", ...(options.languageCode ? { language_code: options.languageCode } : {}) },
        chat_instance: `ci${chatId}`,
        data,
        ...(target ? { message: this.asBotMessage(target) } : {}),
      },
    });
    return { updateId, callbackId };
  }

  /** Any raw update (for kinds the chat face does not cover). */
  pushUpdate(update: Json): number {
    const updateId = this.nextUpdateId++;
    const stored = { update_id: updateId, ...update };
    this.delivered.set(updateId, stored);
    this.updates.push(stored);
    for (const release of this.pollers) release();
    return updateId;
  }

  /**
   * Telegram hands out an update again: what happens when the bot's process was killed after
   * `getUpdates` answered and before its next call confirmed the offset. The update (same
   * `update_id`, same content) is pending again for the next `getUpdates`.
   */
  redeliver(updateId: number): void {
    const update = this.delivered.get(updateId);
    if (!update) throw new Error(`no update ${updateId} was ever delivered`);
    if (this.updates.some((u) => u.update_id === updateId)) return;
    this.updates.push(update);
    this.updates.sort((a, b) => Number(a.update_id) - Number(b.update_id));
    for (const release of this.pollers) release();
  }

  /**
   * Every call of `method` from now on waits, unanswered, until the returned function is called
   * (Telegram slow to answer): a handler stuck there has not got past that call.
   */
  hold(method: string): () => void {
    let release = (): void => undefined;
    this.holds.set(method, new Promise<void>((resolve) => (release = resolve)));
    return () => {
      this.holds.delete(method);
      release();
    };
  }

  /** An update exactly as Telegram sent it (to POST it to a webhook, or again). */
  updateById(updateId: number): Json | undefined {
    return this.delivered.get(updateId);
  }

  /** The bot's messages in a chat (deleted ones included, flagged). */
  messages(chatId: number): FakeMessage[] {
    return this.chat(chatId).filter((m) => m.from === "bot");
  }

  /** Any message of the chat, the user's included. */
  find(chatId: number, messageId: number): FakeMessage | undefined {
    return this.chat(chatId).find((m) => m.messageId === messageId);
  }

  videosSent(chatId: number): SentVideo[] {
    return this.videos.get(chatId) ?? [];
  }

  /** Every picture the bot sent or swapped into a message, in order. */
  photosSent(chatId: number): SentPhoto[] {
    return this.photos.get(chatId) ?? [];
  }

  /** How many getUpdates answers carried this update (0: not fetched yet; 2 or more: handed out again). */
  timesDelivered(updateId: number): number {
    return this.deliveries.get(updateId) ?? 0;
  }

  /** Calls `listener` with the update ids of every getUpdates answer that carries some; returns an unsubscribe. */
  onUpdatesDelivered(listener: (updateIds: number[]) => void): () => void {
    this.deliveryListeners.add(listener);
    return () => this.deliveryListeners.delete(listener);
  }

  /** Calls of one Bot API method, in order. */
  calls(method: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method);
  }

  /** Resolves with the first bot message (sent or edited into) whose text matches. */
  async waitForMessage(chatId: number, pattern: RegExp, timeoutMs = 10_000): Promise<FakeMessage> {
    return this.waitFor(() => this.messages(chatId).find((m) => m.history.some((t) => pattern.test(t))), `a message matching ${pattern} in chat ${chatId}`, timeoutMs);
  }

  /** Resolves when `probe` returns something, re-checking on every request the fake answers. */
  async waitFor<T>(probe: () => T | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
    const found = probe();
    if (found) return found;
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        const value = probe();
        if (!value) return;
        cleanup();
        resolve(value);
      };
      const timer = setTimeout(() => {
        cleanup();
        const seen = [...this.chats.values()].flat().map((m) => `${m.from}#${m.messageId}: ${m.history.join(" → ")}`);
        reject(new Error(`fake Telegram: timed out waiting for ${what}; chat so far:\n${seen.join("\n")}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.changeWaiters.delete(check);
      };
      this.changeWaiters.add(check);
    });
  }

  /**
   * The next `times` calls of `method` fail with 429 and `retry_after` (or another error); the method
   * `file` stands for a file download from `/file/bot<token>/<path>`. `body`
   * answers in another shape, as a server or proxy in front of the Bot API may (HTTP 500
   * `{"message": "Internal Server Error"}`, no `description`).
   */
  failNext(method: string, rule: { times?: number; retryAfter?: number; errorCode?: number; description?: string; body?: Json; chatId?: number } = {}): void {
    const errorCode = rule.errorCode ?? 429;
    const list = this.failRules.get(method) ?? [];
    list.push({
      times: rule.times ?? 1,
      errorCode,
      retryAfter: errorCode === 429 ? (rule.retryAfter ?? 1) : rule.retryAfter,
      description: rule.description ?? (errorCode === 429 ? `Too Many Requests: retry after ${rule.retryAfter ?? 1}` : "Bad Request"),
      ...(rule.body ? { body: rule.body } : {}),
      ...(rule.chatId !== undefined ? { chatId: rule.chatId } : {}),
    });
    this.failRules.set(method, list);
  }

  /** Every request line and body the fake saw, as text (to check no secret went where it should not). */
  transcript(): string {
    return this.requests.map((r) => `${r.rawPath} ${JSON.stringify(r.params)}`).join("\n");
  }

  // ---------------------------------------------------------------- the HTTP side

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawPath = decodeURIComponent((req.url ?? "/").split("?")[0] ?? "/");
    const body = await readBody(req);
    const fileMatch = /^\/file\/bot([^/]+)\/(.+)$/.exec(rawPath);
    if (fileMatch) {
      this.record("file", rawPath, {});
      // `failNext("file", …)`: the file server fails the next downloads (an error page, no bytes).
      const rule = this.takeFailure("file");
      if (rule) {
        this.notify();
        return send(res, rule.errorCode, { ok: false, error_code: rule.errorCode, description: rule.description });
      }
      return this.download(fileMatch[1] ?? "", fileMatch[2] ?? "", res);
    }
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(rawPath);
    if (!match) return send(res, 404, { ok: false, error_code: 404, description: "Not Found" });
    const [, token, method = ""] = match;
    const { params, files } = await readParams(req, body, new URL(req.url ?? "/", "http://x").searchParams);
    this.record(method, rawPath, params);
    if (token !== this.token) return send(res, 401, { ok: false, error_code: 401, description: "Unauthorized" });
    const rule = this.takeFailure(method, params.chat_id);
    if (rule) {
      this.notify();
      if (rule.body) return send(res, rule.errorCode, rule.body);
      const parameters = rule.retryAfter !== undefined ? { retry_after: rule.retryAfter } : undefined;
      return send(res, rule.errorCode, { ok: false, error_code: rule.errorCode, description: rule.description, ...(parameters ? { parameters } : {}) });
    }
    if (FloodControl.counts(method)) {
      const retryAfter = this.floodControl.admit(params.chat_id);
      if (retryAfter !== undefined) {
        const last = this.requests.at(-1);
        if (last) this.floodRefusals.push(last);
        this.notify();
        return send(res, 429, { ok: false, error_code: 429, description: `Too Many Requests: retry after ${retryAfter}`, parameters: { retry_after: retryAfter } });
      }
    }
    const held = this.holds.get(method);
    if (held) await held;
    // A poller that hung up (its process was killed) receives nothing: its updates are not handed out.
    const answer = method === "getUpdates" ? await this.getUpdates(params, () => !res.destroyed && !req.socket.destroyed) : this.call(method, params, files);
    send(res, answer.ok ? 200 : Number(answer.error_code), answer);
    this.notify();
  }

  private record(method: string, rawPath: string, params: Record<string, unknown>): void {
    this.requests.push({ method, rawPath, path: rawPath.split(this.token).join("<token>"), params, at: Date.now() });
  }

  private takeFailure(method: string, chatId?: unknown): FailRule | undefined {
    const rules = this.failRules.get(method) ?? [];
    const index = rules.findIndex((r) => r.chatId === undefined || String(r.chatId) === String(chatId));
    const rule = rules[index];
    if (!rule) return undefined;
    rule.times--;
    if (rule.times <= 0) rules.splice(index, 1);
    return rule;
  }

  private notify(): void {
    for (const check of [...this.changeWaiters]) check();
  }

  private async getUpdates(params: Record<string, unknown>, connected: () => boolean): Promise<Json> {
    const offset = Number(params.offset ?? 0);
    const timeout = Number(params.timeout ?? 0);
    const limit = Number(params.limit ?? 100);
    // An offset confirms every update before it: Telegram forgets them.
    if (offset > 0) this.updates = this.updates.filter((u) => Number(u.update_id) >= offset);
    if (this.updates.length === 0 && timeout > 0 && this.server) {
      await new Promise<void>((resolve) => {
        const release = () => {
          clearTimeout(timer);
          this.pollers.delete(release);
          resolve();
        };
        const timer = setTimeout(release, timeout * 1000);
        this.pollers.add(release);
      });
    }
    const handedOut = this.updates.slice(0, limit);
    if (handedOut.length > 0 && connected()) {
      const ids = handedOut.map((u) => Number(u.update_id));
      for (const id of ids) this.deliveries.set(id, (this.deliveries.get(id) ?? 0) + 1);
      for (const listener of this.deliveryListeners) listener(ids);
    }
    return ok(handedOut);
  }

  private call(method: string, p: Record<string, unknown>, files: Map<string, { fileName: string | undefined; data: Buffer }>): Json {
    const chatId = Number(p.chat_id);
    switch (method) {
      case "getMe":
        return ok({ id: this.botId, is_bot: true, first_name: "Nemo", username: this.botUsername, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false });
      case "deleteWebhook":
      case "setWebhook":
      case "setMyCommands":
      case "answerCallbackQuery":
      case "sendChatAction":
        return ok(true);
      case "sendMessage": {
        const text = String(p.text ?? "");
        if (text.length === 0) return fail(400, "Bad Request: message text is empty");
        if (text.length > 4096) return fail(400, "Bad Request: message is too long");
        const message = this.botPosts(chatId, "text", text, p);
        return ok(this.asBotMessage(message));
      }
      case "editMessageText": {
        const message = this.find(chatId, Number(p.message_id));
        if (!message || message.deleted || message.from !== "bot") return fail(400, "Bad Request: message to edit not found");
        const text = String(p.text ?? "");
        if (text.length > 4096) return fail(400, "Bad Request: MESSAGE_TOO_LONG");
        const markup = p.reply_markup ?? undefined;
        if (text === message.text && JSON.stringify(markup) === JSON.stringify(message.replyMarkup)) {
          return fail(400, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message");
        }
        message.text = text;
        message.history.push(text);
        message.replyMarkup = markup;
        return ok(this.asBotMessage(message));
      }
      case "deleteMessage": {
        const message = this.find(chatId, Number(p.message_id));
        if (!message || message.deleted) return fail(400, "Bad Request: message to delete not found");
        message.deleted = true;
        return ok(true);
      }
      case "getFile": {
        const file = this.files.get(String(p.file_id));
        if (!file) return fail(400, "Bad Request: invalid file_id");
        if (!this.local && file.size > CLOUD_DOWNLOAD_LIMIT) return fail(400, "Bad Request: file is too big");
        return ok({ file_id: file.fileId, file_unique_id: file.uniqueId, file_size: file.size, file_path: file.filePath });
      }
      case "sendVideo":
      case "sendDocument": {
        const field = method === "sendVideo" ? "video" : "document";
        const ref = String(p[field] ?? "");
        const attached = ref.startsWith("attach://") ? files.get(ref.slice("attach://".length)) : undefined;
        if (!attached) return fail(400, `Bad Request: there is no ${field} in the request`);
        const caption = String(p.caption ?? "");
        if (caption.length > 1024) return fail(400, "Bad Request: message caption is too long");
        const message = this.botPosts(chatId, method === "sendVideo" ? "video" : "document", caption, p);
        const fields: Record<string, string> = {};
        for (const [k, v] of Object.entries(p)) fields[k] = typeof v === "string" ? v : JSON.stringify(v);
        const list = this.videos.get(chatId) ?? [];
        list.push({ messageId: message.messageId, method, fields, fileName: attached.fileName, bytes: attached.data, at: Date.now() });
        this.videos.set(chatId, list);
        return ok({ ...this.asBotMessage(message), [field]: { file_id: `sent${message.messageId}`, file_unique_id: `u${message.messageId}`, file_size: attached.data.length } });
      }
      case "sendPhoto": {
        const photo = this.readPhoto(p.photo, files);
        if ("error" in photo) return photo.error;
        const caption = String(p.caption ?? "");
        if (caption.length > 1024) return fail(400, "Bad Request: message caption is too long");
        const message = this.botPosts(chatId, "photo", caption, p);
        this.recordPhoto(chatId, { messageId: message.messageId, method: "sendPhoto", ...photo });
        return ok(this.asBotMessage(message));
      }
      case "editMessageMedia": {
        const message = this.find(chatId, Number(p.message_id));
        if (!message || message.deleted || message.from !== "bot") return fail(400, "Bad Request: message to edit not found");
        if (message.kind === "text") return fail(400, "Bad Request: there is no media in the message to edit");
        const media = (typeof p.media === "object" && p.media !== null ? p.media : {}) as Json;
        if (media.type !== "photo") return fail(400, "Bad Request: can't parse InputMedia: media type is not specified");
        const photo = this.readPhoto(media.media, files);
        if ("error" in photo) return photo.error;
        const caption = String(media.caption ?? "");
        if (caption.length > 1024) return fail(400, "Bad Request: message caption is too long");
        message.kind = "photo";
        message.text = caption;
        message.history.push(caption);
        message.replyMarkup = p.reply_markup ?? undefined;
        this.recordPhoto(chatId, { messageId: message.messageId, method: "editMessageMedia", ...photo });
        return ok(this.asBotMessage(message));
      }
      default:
        return fail(404, "Not Found: method not found");
    }
  }

  /** A photo as Telegram checks one: an uploaded JPEG or PNG within its size, sum and ratio limits. */
  private readPhoto(
    ref: unknown,
    files: Map<string, { fileName: string | undefined; data: Buffer }>,
  ): { fileName: string | undefined; bytes: Buffer; width: number; height: number } | { error: Json } {
    const text = String(ref ?? "");
    const attached = text.startsWith("attach://") ? files.get(text.slice("attach://".length)) : files.get("photo");
    if (!attached) return { error: fail(400, "Bad Request: there is no photo in the request") };
    if (attached.data.length > PHOTO_LIMIT) return { error: fail(400, "Bad Request: file is too big") };
    const size = imageSize(attached.data);
    if (!size) return { error: fail(400, "Bad Request: IMAGE_PROCESS_FAILED") };
    const { width, height } = size;
    if (width + height > 10_000 || Math.max(width / height, height / width) > 20) return { error: fail(400, "Bad Request: PHOTO_INVALID_DIMENSIONS") };
    return { fileName: attached.fileName, bytes: attached.data, width, height };
  }

  private recordPhoto(chatId: number, photo: SentPhoto): void {
    const list = this.photos.get(chatId) ?? [];
    list.push(photo);
    this.photos.set(chatId, list);
  }

  private download(token: string, filePath: string, res: ServerResponse): void {
    const file = [...this.files.values()].find((f) => f.filePath === filePath);
    if (token !== this.token || !file) {
      res.writeHead(404).end("Not Found");
      return;
    }
    const bytes = file.bytes();
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": bytes.length }).end(bytes);
  }

  // ---------------------------------------------------------------- helpers

  private chat(chatId: number): FakeMessage[] {
    let list = this.chats.get(chatId);
    if (!list) {
      list = [];
      this.chats.set(chatId, list);
    }
    return list;
  }

  private botPosts(chatId: number, kind: FakeMessage["kind"], text: string, p: Record<string, unknown>): FakeMessage {
    const replyParameters = p.reply_parameters as { message_id?: number } | undefined;
    const message: FakeMessage = {
      messageId: this.nextMessageId++,
      chatId,
      from: "bot",
      kind,
      text,
      history: [text],
      replyMarkup: p.reply_markup ?? undefined,
      replyTo: replyParameters?.message_id ?? (p.reply_to_message_id === undefined ? undefined : Number(p.reply_to_message_id)),
      deleted: false,
      at: Date.now(),
    };
    this.chat(chatId).push(message);
    return message;
  }

  private asBotMessage(m: FakeMessage): Json {
    return {
      message_id: m.messageId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: m.chatId, type: m.chatId > 0 ? "private" : "group", ...(m.chatId > 0 ? { first_name: "Ada" } : { title: "Test group" }) },
      from: m.from === "bot" ? { id: this.botId, is_bot: true, first_name: "Nemo", username: this.botUsername } : { id: m.chatId, is_bot: false, first_name: "Ada" },
      ...(m.kind === "text" || m.kind === "user" ? { text: m.text } : { caption: m.text }),
      ...(m.kind === "photo" ? { photo: this.sentPhotoSizes(m) } : {}),
      ...(m.replyMarkup ? { reply_markup: m.replyMarkup } : {}),
    };
  }

  private storeFile(input: FakeFileInput, fallbackName: string): StoredFile {
    const n = this.nextFileId++;
    let bytes: () => Buffer;
    let size: number;
    let filePath: string;
    if (input.path) {
      const path = input.path;
      bytes = () => readFileSync(path);
      size = input.size ?? readFileSync(path).length;
      filePath = this.local ? path : `documents/file_${n}_${fallbackName}`;
    } else {
      const data = Buffer.from(input.bytes ?? new Uint8Array(0));
      bytes = () => data;
      size = input.size ?? data.length;
      if (this.local) {
        // A local Bot API server hands out absolute paths on its own disk (a shared volume).
        filePath = join(this.dir, `file_${n}_${fallbackName}`);
        writeFileSync(filePath, data);
      } else {
        filePath = `documents/file_${n}_${fallbackName}`;
      }
    }
    const file: StoredFile = { fileId: `FILE${n}_${"x".repeat(20)}`, uniqueId: `U${n}`, filePath, size, bytes };
    this.files.set(file.fileId, file);
    return file;
  }

  /** Like Telegram: a document always has a name; a video or audio only when the sender's app gave one. */
  private fileFields(input: FakeFileInput, defaultMime: string, defaultName?: string): Json {
    const name = input.fileName ?? (input.path ? input.path.split("/").at(-1) : undefined) ?? defaultName;
    const file = this.storeFile(input, name ?? "file");
    return { file_id: file.fileId, file_unique_id: file.uniqueId, file_size: file.size, ...(name ? { file_name: name } : {}), mime_type: input.mime ?? defaultMime };
  }

  /** The sizes Telegram reports for a picture the bot sent (the last one it holds). */
  private sentPhotoSizes(m: FakeMessage): Json[] {
    const sent = this.photosSent(m.chatId).filter((p) => p.messageId === m.messageId).at(-1);
    return [{ file_id: `photo${m.messageId}`, file_unique_id: `up${m.messageId}`, width: sent?.width ?? 90, height: sent?.height ?? 90, file_size: sent?.bytes.length ?? 0 }];
  }

  /** A video's `thumbnail` PhotoSize, when the test gave its bytes. */
  private thumbnailField(input: FakeFileInput): Json {
    if (!input.thumbnail) return {};
    const file = this.storeFile({ bytes: input.thumbnail }, "thumb.jpg");
    return { thumbnail: { file_id: file.fileId, file_unique_id: file.uniqueId, file_size: file.size, width: 320, height: 180 } };
  }

  private photoSizes(input: FakeFileInput): Json[] {
    // Telegram sends several sizes, smallest first; the last is the original.
    const thumb = this.storeFile({ bytes: Buffer.from(input.thumbnail ?? Buffer.from("thumb")), size: input.thumbnail?.length ?? 1200 }, "thumb.jpg");
    const full = this.storeFile(input, input.fileName ?? "photo.jpg");
    return [
      { file_id: thumb.fileId, file_unique_id: thumb.uniqueId, file_size: thumb.size, width: 90, height: 68 },
      { file_id: full.fileId, file_unique_id: full.uniqueId, file_size: full.size, width: input.width ?? 1280, height: input.height ?? 960 },
    ];
  }
}

export async function startFakeTelegram(options: FakeTelegramOptions = {}): Promise<FakeTelegram> {
  return new FakeTelegram(options).listen();
}

/** Width and height of a PNG (IHDR) or JPEG (first SOF marker); undefined for anything else. */
function imageSize(data: Buffer): { width: number; height: number } | undefined {
  if (data.length >= 24 && data.subarray(0, 8).equals(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]))) {
    return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
  }
  if (data.length >= 4 && data[0] === 0xff && data[1] === 0xd8) {
    let at = 2;
    while (at + 9 < data.length && data[at] === 0xff) {
      const marker = data[at + 1] ?? 0;
      const length = data.readUInt16BE(at + 2);
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { height: data.readUInt16BE(at + 5), width: data.readUInt16BE(at + 7) };
      }
      at += 2 + length;
    }
  }
  return undefined;
}

function mediaFields(input: FakeFileInput, width: number, height: number): Json {
  return { duration: input.duration ?? 2, width: input.width ?? width, height: input.height ?? height };
}

/** Entities the real server would attach: a leading /command and every @mention. */
function entitiesOf(text: string): Json[] {
  const entities: Json[] = [];
  const command = /^\/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?/.exec(text);
  if (command) entities.push({ type: "bot_command", offset: 0, length: command[0].length });
  for (const mention of text.matchAll(/(^|\s)(@[A-Za-z0-9_]{3,})/g)) {
    entities.push({ type: "mention", offset: (mention.index ?? 0) + (mention[1]?.length ?? 0), length: mention[2]?.length ?? 0 });
  }
  return entities;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function readParams(
  req: IncomingMessage,
  body: Buffer,
  query: URLSearchParams,
): Promise<{ params: Record<string, unknown>; files: Map<string, { fileName: string | undefined; data: Buffer }> }> {
  const params: Record<string, unknown> = Object.fromEntries(query.entries());
  const files = new Map<string, { fileName: string | undefined; data: Buffer }>();
  const type = req.headers["content-type"] ?? "";
  if (type.startsWith("application/json") && body.length > 0) {
    Object.assign(params, JSON.parse(body.toString("utf8")) as Json);
  } else if (type.startsWith("multipart/form-data")) {
    await readMultipart([body], type, (part) => {
      const chunks: Buffer[] = [];
      return {
        write: (chunk) => void chunks.push(chunk),
        end: () => {
          const data = Buffer.concat(chunks);
          if (part.filename !== undefined) {
            files.set(part.name, { fileName: part.filename, data });
            params[part.name] = `<file ${data.length} bytes>`;
          } else {
            params[part.name] = parseMaybeJson(data.toString("utf8"));
          }
        },
      };
    });
  } else if (type.startsWith("application/x-www-form-urlencoded")) {
    Object.assign(params, Object.fromEntries(new URLSearchParams(body.toString("utf8")).entries()));
  }
  return { params, files };
}

function parseMaybeJson(text: string): unknown {
  if (!/^[[{]/.test(text)) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function ok(result: unknown): Json {
  return { ok: true, result };
}

function fail(code: number, description: string): Json {
  return { ok: false, error_code: code, description };
}

function send(res: ServerResponse, status: number, body: Json): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}
