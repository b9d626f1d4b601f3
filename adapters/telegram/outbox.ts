import { InputFile, type Api } from "grammy";
import type { ReplyParameters } from "grammy/types";
import type { ReplyHandle } from "../../src/chat/message.js";
import { translatingErrors, type Button, type Outbox, type PhotoFile, type SentRef, type VideoFile } from "../../src/chat/outbox.js";
import type { Logger } from "../../src/log.js";
import { describes, retryAfterOf, type RetryPolicy, type TelegramApis } from "./api.js";
import { TelegramRateLimitedError, TelegramVideoTooLargeError, toTelegramChatError } from "./errors.js";
import { inlineKeyboard } from "./keyboard.js";
import { LOCAL_UPLOAD_LIMIT } from "./size-rules.js";
import { fitOne, splitText } from "../../src/chat/split-text.js";
import { CAPTION_LIMIT, MESSAGE_LIMIT } from "./limits.js";

const MB = 1024 * 1024;
/** What the cloud Bot API accepts from a bot. */
export const CLOUD_UPLOAD_LIMIT = 50 * MB;

export interface TelegramOutboxOptions {
  apis: TelegramApis;
  localApi: boolean;
  policy: RetryPolicy;
  logger: Logger;
  /** How often "uploading video…" is renewed during an upload (Telegram shows it for 5 s). */
  activityIntervalMs?: number;
}

/** The bot's voice in Telegram, over the Bot API only: a worker can post with no `Bot` running. */
export function createTelegramOutbox(options: TelegramOutboxOptions): Outbox {
  const { apis, policy, logger } = options;
  const api: Api = apis.interactive;
  const activityIntervalMs = options.activityIntervalMs ?? 4000;

  const sendChunks = async (to: ReplyHandle, text: string, buttons: Button[] | undefined, via: Api = api): Promise<SentRef> => {
    const chunks = splitText(text, MESSAGE_LIMIT);
    let last: SentRef | undefined;
    for (const [index, chunk] of chunks.entries()) {
      const isLast = index === chunks.length - 1;
      const sent = await via.sendMessage(chatIdOf(to), chunk, {
        ...placement(to, index === 0),
        ...(isLast ? { reply_markup: inlineKeyboard(buttons) } : {}),
        link_preview_options: { is_disabled: true },
      });
      last = { messageId: String(sent.message_id) };
    }
    return last as SentRef;
  };

  const outbox: Outbox = {
    sendText: (to, text, opts) => sendChunks(to, text, opts?.buttons),

    async upsertStatus(to, ref, text, opts) {
      const body = fitOne(text, MESSAGE_LIMIT);
      // A new status message answers the user's command; edits of it come last when the bot is busy
      // (the status lane refuses them with RateLimitedError, and the caller keeps the latest text).
      // A droppable first post (a place in line the workers' sweep will post later, a render's first
      // words) goes only when a slot is free now, and a render's status (`yields`) when one is near:
      // thousands of them at once would otherwise book the bot's schedule minutes ahead, and every
      // answer to a command and every video would wait behind them.
      if (!ref) return sendChunks(to, body, undefined, opts?.droppable ? apis.progress : opts?.yields ? apis.status : api);
      try {
        await (opts?.droppable ? apis.progress : apis.status).editMessageText(chatIdOf(to), Number(ref.messageId), body, { link_preview_options: { is_disabled: true } });
        return ref;
      } catch (error) {
        // The same words again is not a failure: the chat already shows them.
        if (describes(error, "message is not modified")) return ref;
        // Deleted by the user, or too old to edit: start a new status message.
        if (describes(error, "message to edit not found") || describes(error, "message can't be edited") || describes(error, "message_id_invalid")) {
          return sendChunks(to, body, undefined, apis.status);
        }
        throw error;
      }
    },

    maxVideoBytes: () => (options.localApi ? LOCAL_UPLOAD_LIMIT : CLOUD_UPLOAD_LIMIT),

    async sendVideo(to, video, opts) {
      const [caption = "", ...restOfCaption] = video.caption ? splitText(video.caption, CAPTION_LIMIT) : [];
      const sent = await withUploadActivity(to, () => uploadVideo(to, video, caption, opts?.buttons));
      // A caption past Telegram's 1024 follows as text rather than being cut off.
      if (restOfCaption.length > 0) await sendChunks(to, restOfCaption.join("\n"), undefined);
      return sent;
    },

    sendLink: (to, text, url, opts) => sendChunks(to, `${text}\n${url}`, opts?.buttons),

    async sendPhoto(to, photo, opts) {
      const [caption = "", ...restOfCaption] = photo.caption ? splitText(photo.caption, CAPTION_LIMIT) : [];
      const replaced = opts?.replace ? await replacePhoto(to, opts.replace, photo, caption, opts.buttons) : undefined;
      // A picture is small: the interactive client (which waits out a short flood limit and sends again) is fine.
      let sent = replaced;
      if (sent === undefined) {
        const message = await api.sendPhoto(chatIdOf(to), new InputFile(photo.bytes, photo.fileName), {
          ...placement(to, true),
          ...(caption ? { caption } : {}),
          reply_markup: inlineKeyboard(opts?.buttons),
        });
        sent = { messageId: String(message.message_id) };
      }
      if (restOfCaption.length > 0) await sendChunks(to, restOfCaption.join("\n"), undefined);
      return sent;
    },

    async deleteMessage(to, messageId) {
      try {
        return await api.deleteMessage(chatIdOf(to), Number(messageId));
      } catch (error) {
        // Typically: no admin rights in the group, or the message is older than 48 h.
        logger.warn({ chatId: to.chatId, err: error }, "telegram could not delete a message");
        return false;
      }
    },

    async showActivity(to, activity) {
      try {
        await api.sendChatAction(chatIdOf(to), activity, topicOf(to));
      } catch (error) {
        logger.debug({ err: error }, "telegram chat action failed");
      }
    },
  };

  /** Swaps the picture of an earlier photo message (a refresh); undefined when that message cannot be edited. */
  async function replacePhoto(to: ReplyHandle, ref: SentRef, photo: PhotoFile, caption: string, buttons: Button[] | undefined): Promise<SentRef | undefined> {
    try {
      await api.editMessageMedia(
        chatIdOf(to),
        Number(ref.messageId),
        { type: "photo", media: new InputFile(photo.bytes, photo.fileName), ...(caption ? { caption } : {}) },
        { reply_markup: inlineKeyboard(buttons) },
      );
      return ref;
    } catch (error) {
      if (describes(error, "message is not modified")) return ref;
      // Deleted, too old, or no media to replace: the picture goes out as a new message.
      logger.info({ chatId: to.chatId, err: error }, "telegram could not replace a picture in place; sending a new one");
      return undefined;
    }
  }

  /** Keeps "uploading video…" on screen while the upload runs. */
  async function withUploadActivity<T>(to: ReplyHandle, work: () => Promise<T>): Promise<T> {
    // The first action goes through the interactive client: it also waits out a flood limit
    // BEFORE the bytes are sent rather than after.
    await outbox.showActivity?.(to, "upload_video");
    const timer = setInterval(() => void outbox.showActivity?.(to, "upload_video"), activityIntervalMs);
    try {
      return await work();
    } finally {
      clearInterval(timer);
    }
  }

  async function uploadVideo(to: ReplyHandle, video: VideoFile, caption: string, buttons: Button[] | undefined): Promise<SentRef> {
    const send = async () => {
      const bytes = await video.open();
      try {
        const sent = await apis.upload.sendVideo(chatIdOf(to), new InputFile(bytes, video.fileName), {
          ...placement(to, true),
          supports_streaming: true,
          ...(video.duration !== undefined ? { duration: Math.round(video.duration) } : {}),
          ...(video.width !== undefined ? { width: video.width } : {}),
          ...(video.height !== undefined ? { height: video.height } : {}),
          ...(caption ? { caption } : {}),
          reply_markup: inlineKeyboard(buttons),
        });
        return { messageId: String(sent.message_id) };
      } finally {
        // Read to the end when sent; left unread when no send slot was free (or the send failed): closed either way.
        bytes.destroy();
      }
    };
    try {
      return await send();
    } catch (error) {
      const retryAfter = retryAfterOf(error);
      if (describes(error, "too large") || describes(error, "file is too big")) {
        throw new TelegramVideoTooLargeError("Telegram refused the video as too large", { cause: error });
      }
      if (retryAfter === undefined) throw error;
      // One more try only for a small file and a short wait: re-sending a large video doubles the
      // upload for a result the user may already be getting another way.
      if (video.size > policy.smallUploadBytes || retryAfter > policy.maxUploadWaitSeconds) {
        throw new TelegramRateLimitedError("sendVideo", retryAfter, { cause: error });
      }
      // The 429 paused this chat in the shared limiter: the second send waits out `retry_after` there.
      logger.info({ chatId: to.chatId, retryAfter }, "telegram rate-limited a small video upload; sending it once more");
      return send();
    }
  }

  return translatingErrors(outbox, toTelegramChatError);
}

function chatIdOf(to: ReplyHandle): number | string {
  const n = Number(to.chatId);
  return Number.isSafeInteger(n) ? n : to.chatId;
}

function topicOf(to: ReplyHandle): { message_thread_id?: number } {
  const thread = to.data?.messageThreadId;
  return typeof thread === "number" ? { message_thread_id: thread } : {};
}

/** The thread, and (for the first message of an answer in a group) the message it answers. */
function placement(to: ReplyHandle, first: boolean): { message_thread_id?: number; reply_parameters?: ReplyParameters } {
  const replyTo = to.data?.replyToMessageId;
  return {
    ...topicOf(to),
    ...(first && typeof replyTo === "number" ? { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } } : {}),
  };
}
