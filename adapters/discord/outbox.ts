import { createHash } from "node:crypto";
import type { ReplyHandle } from "../../src/chat/message.js";
import { translatingErrors, type Button, type Outbox, type SentRef } from "../../src/chat/outbox.js";
import type { Logger } from "../../src/log.js";
import { readAtMost } from "../../src/read-bounded.js";
import { buttonRows } from "./buttons.js";
import { DiscordDelivery, type DeliveryOptions } from "./delivery.js";
import { DiscordDeliveryError, toDiscordChatError } from "./discord-errors.js";
import { decodeRef, encodeRef } from "./refs.js";
import { DEFAULT_ATTACHMENT_LIMIT, readHandleData } from "./reply-data.js";
import { tokenSeal } from "./seal.js";
import { fitOne, splitText } from "../../src/chat/split-text.js";
import { MAX_MESSAGE_LENGTH } from "./limits.js";

export type DiscordOutboxOptions = DeliveryOptions;

/**
 * The Discord Outbox over @discordjs/rest only (no gateway), so a worker process can answer: through
 * the interaction's webhook while its token is valid, then in the channel or a DM.
 */
export function createDiscordOutbox(options: DiscordOutboxOptions): Outbox {
  const delivery = new DiscordDelivery(options);
  const seal = tokenSeal(options.token);
  const logger: Logger = options.logger;

  async function sendText(to: ReplyHandle, text: string, opts?: { buttons?: Button[] }): Promise<SentRef> {
    const data = readHandleData(to, seal);
    const pieces = splitText(text, MAX_MESSAGE_LENGTH);
    let last: SentRef | undefined;
    for (const [i, content] of pieces.entries()) {
      const components = i === pieces.length - 1 ? buttonRows(opts?.buttons) : undefined;
      last = encodeRef(await delivery.post(data, { content, ...(components ? { components } : {}) }));
    }
    return last!;
  }

  return translatingErrors({
    sendText,

    async upsertStatus(to, ref, text, opts) {
      const data = readHandleData(to, seal);
      const body = { content: fitOne(text, MAX_MESSAGE_LENGTH) };
      const previous = ref ? decodeRef(ref) : undefined;
      // Edits come last when the bot is busy (refused with RateLimitedError; the caller keeps the
      // latest text). A new status message waits like an answer, unless it is a progress figure
      // (`droppable`) or gives way to the video it reports on (`yields`): hundreds of them at once
      // would otherwise book the global limit seconds ahead and spend each channel's bucket, and
      // every answer and video would wait behind them.
      const lane = opts?.droppable ? "progress" : "status";
      if (previous) {
        const edited = await delivery.edit(data, previous, body, lane);
        if (edited) return encodeRef(edited);
        // Deleted, or its webhook expired: the new message replaces an edit, in the edit's lane.
        return encodeRef(await delivery.post(data, body, [], undefined, lane));
      }
      return encodeRef(await delivery.post(data, body, [], undefined, opts?.droppable || opts?.yields ? lane : "answer"));
    },

    maxVideoBytes(to) {
      return readHandleData(to, seal).attachmentLimit ?? DEFAULT_ATTACHMENT_LIMIT;
    },

    async sendVideo(to, video, opts) {
      const limit = readHandleData(to, seal).attachmentLimit ?? DEFAULT_ATTACHMENT_LIMIT;
      if (video.size > limit) {
        throw new DiscordDeliveryError("video_too_large", `The video (${video.size} bytes) is over this chat's limit of ${limit} bytes`);
      }
      // @discordjs/rest takes a file as bytes; the limit above bounds what is held in memory.
      const bytes = await readAtMost(await video.open(), limit);
      if (bytes === undefined) throw new DiscordDeliveryError("video_too_large", `The video ${video.fileName} is over this chat's limit of ${limit} bytes`);
      const components = buttonRows(opts?.buttons);
      const body = { content: fitOne(video.caption ?? "", MAX_MESSAGE_LENGTH), ...(components ? { components } : {}) };
      const once = opts?.idempotencyKey === undefined ? undefined : { nonce: discordNonce(opts.idempotencyKey) };
      const sent = await delivery.post(readHandleData(to, seal), body, [{ name: video.fileName, data: bytes, contentType: "video/mp4" }], once);
      logger.debug({ bytes: bytes.length }, "discord: video posted");
      return encodeRef(sent);
    },

    async sendLink(to, text, url, opts) {
      return sendText(to, `${text}\n${url}`, opts);
    },

    async sendPhoto(to, photo, opts) {
      // The reply to a press is a deferred interaction answer: a refresh posts a new picture rather than editing the old one.
      const data = readHandleData(to, seal);
      const limit = data.attachmentLimit ?? DEFAULT_ATTACHMENT_LIMIT;
      if (photo.bytes.length > limit) {
        throw new DiscordDeliveryError("video_too_large", `The picture (${photo.bytes.length} bytes) is over this chat's limit of ${limit} bytes`);
      }
      const [content = "", ...rest] = splitText(photo.caption ?? "", MAX_MESSAGE_LENGTH);
      const components = rest.length === 0 ? buttonRows(opts?.buttons) : undefined;
      const file = { name: photo.fileName, data: photo.bytes, contentType: "image/png" };
      const sent = encodeRef(await delivery.post(data, { content, ...(components ? { components } : {}) }, [file]));
      // A caption past Discord's 2000 characters follows as text, with the buttons under its end.
      if (rest.length > 0) await sendText(to, rest.join("\n"), opts?.buttons ? { buttons: opts.buttons } : undefined);
      return sent;
    },

    async deleteMessage(to, messageId) {
      const data = readHandleData(to, seal);
      // A slash command is no message: its options (a /token value) never sit in the channel.
      if (messageId === data.interactionId) return true;
      return delivery.deleteChannelMessage(data.channelId, messageId);
    },

    async showActivity(to) {
      await delivery.typing(readHandleData(to, seal).channelId);
    },
  }, toDiscordChatError);
}

/** Discord's nonce holds at most 25 characters: a digest of the key, the same on every attempt. */
export function discordNonce(idempotencyKey: string): string {
  return createHash("sha256").update(idempotencyKey).digest("hex").slice(0, 25);
}
