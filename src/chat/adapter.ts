import type { IncomingMessage, ServerResponse } from "node:http";
import type { AttachmentOpener, AttachmentSource, ChatMessage, Platform } from "./message.js";
import type { Outbox } from "./outbox.js";

/** An HTTP route an adapter serves on the bot's own server (Telegram's webhook). */
export type AdapterRoute = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

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
  /** Whether `openAttachment` takes this kind of source: the process asks each adapter, in turn. */
  opens(source: AttachmentSource): boolean;
  /** The bot's own username, to notice mentions in groups; undefined until known, or where the platform mentions by id. */
  botUsername(): string | undefined;
  /** Routes to mount on the bot's HTTP server, by path, once started (Telegram's webhook in webhook mode). */
  httpRoutes(): Record<string, AdapterRoute>;
  /** Connects and starts handing messages to `handle`. */
  start(handle: MessageHandler): Promise<void>;
  /** Stops taking updates; lets handlers in flight finish. */
  stop(): Promise<void>;
  /** Whether the platform connection is up, for /healthz. */
  healthy(): boolean;
}
