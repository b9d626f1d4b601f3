import { createReadStream } from "node:fs";
import { isAbsolute } from "node:path";
import type { Readable } from "node:stream";
import type { Api } from "grammy";
import { Agent, request } from "undici";
import type { AttachmentOpener, AttachmentSource } from "../../src/chat/message.js";
import { textOf } from "../../src/error-shape.js";
import { ChatError } from "../../src/errors.js";
import { scrubSecrets } from "../../src/log.js";
import { describes } from "./api.js";

export interface TelegramFilesOptions {
  api: Api;
  token: string;
  apiRoot: string;
  /** A `--local` Bot API server answers `getFile` with an absolute path on a volume we share. */
  localApi: boolean;
}

/**
 * Opens a Telegram file: `getFile`, then the bytes from `${apiRoot}/file/bot<token>/<path>` with
 * undici, or straight from disk with a local server. The file URL holds the bot token: it is
 * built here, used here, and never logged, returned or put in an error.
 */
export function createTelegramFileOpener(options: TelegramFilesOptions): AttachmentOpener {
  // Downloads go through a pool of our own, never the process's global dispatcher (which another
  // undici in the process may have installed).
  const agent = new Agent();
  return async (source: AttachmentSource, signal?: AbortSignal): Promise<Readable> => {
    if (source.type !== "platform-file" || source.platform !== "telegram") {
      throw new ChatError("unsupported_source", `The Telegram adapter cannot open a ${source.type} attachment`);
    }
    let filePath: string | undefined;
    try {
      filePath = (await options.api.getFile(source.fileId, signal as Parameters<Api["getFile"]>[1])).file_path;
    } catch (error) {
      if (describes(error, "file is too big")) {
        throw new ChatError("file_too_big_for_cloud", "Telegram's cloud Bot API serves files up to 20 MB only");
      }
      throw new ChatError("attachment_download_failed", `Telegram getFile failed: ${scrubSecrets(errorText(error))}`);
    }
    if (!filePath) throw new ChatError("attachment_download_failed", "Telegram getFile returned no file path");
    if (options.localApi && isAbsolute(filePath)) return createReadStream(filePath);

    const url = `${options.apiRoot}/file/bot${options.token}/${filePath.split("/").map(encodeURIComponent).join("/")}`;
    let response: Awaited<ReturnType<typeof request>>;
    try {
      // A big file on a slow link keeps the body flowing; only a stall of 5 minutes ends it.
      response = await request(url, { method: "GET", signal, headersTimeout: 60_000, bodyTimeout: 300_000, dispatcher: agent });
    } catch (error) {
      throw new ChatError("attachment_download_failed", `Telegram file download failed: ${scrubSecrets(errorText(error))}`);
    }
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw new ChatError("attachment_download_failed", `Telegram file download answered HTTP ${response.statusCode}`);
    }
    return response.body;
  };
}

function errorText(error: unknown): string {
  return textOf(error);
}
