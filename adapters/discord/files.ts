import type { Readable } from "node:stream";
import { request } from "undici";
import type { AttachmentSource } from "../../src/chat/message.js";
import { ChatError } from "../../src/errors.js";
import { discordAgent } from "./http.js";

/**
 * Streams a Discord attachment from its CDN URL, for when NemoVideo refuses a URL upload and the
 * bytes must pass through the bot. The signed URL is public for a day, so no credentials are sent.
 */
export function createAttachmentOpener(options: { timeoutMs: number }) {
  return async function openAttachment(source: AttachmentSource, signal?: AbortSignal): Promise<Readable> {
    if (source.type !== "public-url") {
      throw new ChatError("unsupported_source", `The Discord adapter cannot open a ${source.type} attachment`);
    }
    const response = await request(source.url, {
      method: "GET",
      headersTimeout: options.timeoutMs,
      // A big file may take long; only a stalled one should fail.
      bodyTimeout: options.timeoutMs,
      ...(signal ? { signal } : {}),
      dispatcher: discordAgent(),
    });
    if (response.statusCode !== 200) {
      response.body.resume();
      throw new ChatError("attachment_unavailable", `Discord's CDN answered ${response.statusCode} for an attachment (the link may have expired)`);
    }
    return response.body;
  };
}
