import type { AttachmentOpener, ChatMessage, Platform } from "./message.js";
import type { Outbox } from "./outbox.js";

/** What an adapter hands every message to (the router). */
export type MessageHandler = (message: ChatMessage) => Promise<void>;

/**
 * The one face of every platform adapter (`createTelegramAdapter(config)`, `createDiscordAdapter`,
 * `createTerminalAdapter`). `outbox` and `openAttachment` work without `start()`, so a worker
 * process can post results and fetch files with no gateway or polling connection.
 */
export interface ChatAdapter {
  readonly platform: Platform;
  readonly outbox: Outbox;
  /** Streams an attachment's bytes; only the adapter knows how (a Telegram file URL holds the bot token). */
  readonly openAttachment: AttachmentOpener;
  /** Connects and starts handing messages to `handle`. */
  start(handle: MessageHandler): Promise<void>;
  /** Stops taking updates; lets handlers in flight finish. */
  stop(): Promise<void>;
  /** Whether the platform connection is up, for /healthz. */
  healthy(): boolean;
}
