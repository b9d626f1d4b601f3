import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import type { ChatAdapter, MessageHandler } from "../../src/chat/adapter.js";
import type { AttachmentSource } from "../../src/chat/message.js";
import { ChatError } from "../../src/errors.js";
import type { Logger } from "../../src/log.js";
import { TerminalOutbox } from "./outbox.js";
import { parseTerminalLine, type TerminalUser } from "./to-chat-message.js";

export interface TerminalAdapterOptions {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream & { isTTY?: boolean };
  exportDir: string;
  user: TerminalUser;
  logger: Logger;
  /**
   * Resolves once the bot has finished every queued item. With piped input each line waits for it,
   * so a script reads like a conversation and ends after its last answer, not its last line.
   */
  whenIdle?: () => Promise<void>;
}

export interface TerminalAdapter extends ChatAdapter {
  /** Resolves when the chat is over: `/quit`, or the input ended and the bot went idle. */
  readonly finished: Promise<void>;
}

/** The default adapter: a chat in this terminal, for trying the bot with no accounts (like Hubot's shell). */
export function createTerminalAdapter(options: TerminalAdapterOptions): TerminalAdapter {
  const outbox = new TerminalOutbox(options.output, options.exportDir);
  let running = false;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let reader: ReturnType<typeof createInterface> | undefined;

  async function openAttachment(source: AttachmentSource): Promise<Readable> {
    if (source.type !== "local-path") throw new ChatError("unsupported_source", `the terminal cannot open a ${source.type} attachment`);
    return createReadStream(source.path);
  }

  async function start(handle: MessageHandler): Promise<void> {
    running = true;
    const prompt = options.input.isTTY ? "you> " : "";
    reader = createInterface({ input: options.input, output: options.input.isTTY ? options.output : undefined, prompt, terminal: options.input.isTTY ?? false });
    let messageId = 0;
    // Lines are handled one after another, as a chat would deliver them.
    let chain = Promise.resolve();
    reader.on("line", (line) => {
      chain = chain.then(async () => {
        const parsed = parseTerminalLine(line, options.user, ++messageId);
        if (parsed.type === "quit") return void reader?.close();
        if (parsed.type === "missing-file") {
          options.output.write(`bot> No file at "${parsed.path}". Usage: /upload <path to a clip, image or audio file> [what to do with it]\n`);
          return;
        }
        if (parsed.type === "message") {
          if (!options.input.isTTY) options.output.write(`you> ${line}\n`);
          await handle(parsed.message).catch((error: unknown) => options.logger.error({ err: error }, "terminal message failed"));
          // A script reads like a conversation: each line waits for the answers to the one before.
          if (!options.input.isTTY) await options.whenIdle?.();
        }
        reader?.prompt();
      });
    });
    reader.on("close", () => {
      void chain
        .then(() => options.whenIdle?.())
        .catch((error: unknown) => options.logger.error({ err: error }, "waiting for the last answers failed"))
        .finally(() => {
          running = false;
          finish();
        });
    });
    reader.prompt();
  }

  return {
    platform: "terminal",
    outbox,
    openAttachment,
    opens: (source) => source.type === "local-path",
    botUsername: () => undefined,
    httpRoutes: () => ({}),
    start,
    finished,
    async stop() {
      reader?.close();
      running = false;
    },
    healthy: () => running,
  };
}
