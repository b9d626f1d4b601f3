import type { ChatMessage, Locale } from "../chat/message.js";
import { lazyChild, type Logger } from "../log.js";
import { classify } from "../chat/intents.js";
import { isAllowed } from "../quota/access.js";
import type { RateVerdict } from "../quota/message-rate.js";
import { createContext } from "./context.js";
import { route } from "./routes.js";
import type { RouterDeps } from "./types.js";

export type { RouterDeps, RouteContext, Handler } from "./types.js";

/** Someone who writes in Chinese is answered in Chinese, whatever their app's language (unless /lang says). */
function localeOfText(text: string): Locale | undefined {
  return /[\u4e00-\u9fff]/.test(text) ? "zh-CN" : undefined;
}

export interface Router {
  /** Never rejects: a failing handler is logged and answered in words, so an adapter cannot crash on it. */
  handle(message: ChatMessage): Promise<void>;
}

/**
 * One router for every platform: who may talk, what they want, then either a quick answer
 * (credits, timeline, help, /lang, /token, /new) or work for the queue (turns, uploads, exports).
 */
export function createRouter(deps: RouterDeps): Router {
  const access = { users: deps.config.ALLOWED_USERS, chats: deps.config.ALLOWED_CHATS };

  /**
   * The update's state, the user's language and their message rate. A platform update's read is one
   * script (`UpdateClaims.read`): three commands for every message cost the bot about a fifth of its
   * CPU per update at ingest. A message without an update (the terminal chat) sends its two reads
   * to Redis together (one round trip).
   */
  async function firstRead(message: ChatMessage): Promise<[{ handled: boolean; queuedItems: number } | undefined, Locale | undefined, RateVerdict | undefined]> {
    // The terminal chat is the operator's own keyboard: nobody to protect it from.
    const rate = message.platform === "terminal" ? undefined : deps.messageRate;
    const { preferences } = deps;
    if (message.updateKey !== undefined) {
      const known = preferences.remembered(message.userKey);
      const scope = rate?.scope(message.userKey);
      const read = await deps.claims.read(message.updateKey, { languageKey: known ? undefined : preferences.languageKey(message.userKey), rate: scope });
      const locale = known ? known.locale : preferences.stored(message.userKey, read.language ?? null);
      let counted: RateVerdict | undefined;
      if (rate && read.rate) counted = read.rate.granted ? { ok: true } : await rate.refused(message.userKey, Math.max(1, read.rate.waitMs));
      return [read, locale, counted];
    }
    const [locale, counted] = await Promise.all([preferences.locale(message.userKey), rate?.admit(message.userKey)]);
    return [undefined, locale, counted];
  }

  /** Updates being handled in this process now: a copy arriving meanwhile (a webhook retried at once) waits for nothing and is dropped. */
  const inFlight = new Set<string>();

  /**
   * "duplicate" when the update was handled before (or is being handled now); "handled" once
   * answered, queued or told why not; "marked" when its handled mark was written with its queued
   * items already.
   */
  async function dispatch(message: ChatMessage, log: Logger): Promise<"duplicate" | "handled" | "marked"> {
    let locale = message.locale;
    try {
      // Whether the update was handled, the user's language and their message rate: one command
      // (see firstRead); nothing is answered or queued before that is known.
      const [update, preferred, counted] = await firstRead(message);
      // A re-delivered update is dropped here (it was counted in the rate like any message).
      if (update?.handled) return "duplicate";
      locale = preferred ?? localeOfText(message.text) ?? message.locale;
      const ctx = createContext(deps, message, locale, log, update?.queuedItems ?? 0);
      const rate = counted ?? { ok: true };
      if (!rate.ok) {
        log.info("message over the user's rate, dropped");
        if (rate.tell) await ctx.reply(ctx.t.rateLimited({ seconds: Math.max(1, Math.ceil(rate.retryAfterMs / 1000)) }));
        return "handled";
      }
      if (!isAllowed(access, message)) {
        log.info("message from outside the allowlist");
        await ctx.reply(ctx.t.notAllowed);
        return "handled";
      }
      const intent = classify(message, deps.botUsername?.(message.platform));
      // The intent's kind only: a message's text may hold a token (/token) and is never logged.
      const intentName = intent.kind === "command" ? `/${intent.command}` : intent.kind;
      log.debug({ intent: intentName }, "routing");
      deps.onRouted?.(message.platform, intentName);
      await route(ctx, intent);
      if (ctx.handledMarked) return "marked";
    } catch (error) {
      log.error({ err: error }, "handling a message failed");
      try {
        const ctx = createContext(deps, message, locale, log);
        await ctx.reply(await ctx.explain(error));
      } catch (replyError) {
        log.error({ err: replyError }, "could not tell the user about a failure");
      }
    }
    return "handled";
  }

  return {
    async handle(message) {
      // In a group the bot speaks only when spoken to.
      if (message.chatKind === "group" && !message.addressed) return;
      const log = lazyChild(deps.logger, { platform: message.platform, chatId: message.chatId, userKey: message.userKey });
      const key = message.updateKey;
      if (key !== undefined && inFlight.has(key)) {
        log.debug({ updateKey: key }, "duplicate update dropped");
        return;
      }
      if (key !== undefined) inFlight.add(key);
      try {
        const outcome = await dispatch(message, log);
        if (outcome === "duplicate") {
          log.debug({ updateKey: key }, "duplicate update dropped");
          return;
        }
        // Answered or queued (or told why not): a re-delivery from here on is dropped. A process that
        // dies before the mark lands has its update handled again: its queued items are not queued
        // twice (see RouteContext.submit), a quick answer may be sent again. Not awaited: the mark is
        // on its way before handle() returns (one connection keeps the order of its commands), and the
        // platform may be told it can forget the update without waiting one more round trip. Work
        // queued by the update ("marked") carried the mark in the script that queued its last item.
        if (key !== undefined && outcome === "handled") {
          void deps.claims.markHandled(key).catch((error: unknown) => log.warn({ err: error }, "could not mark an update handled"));
        }
      } catch (error) {
        // handle() never rejects (see Router).
        log.error({ err: error }, "handling a message failed");
      } finally {
        if (key !== undefined) inFlight.delete(key);
      }
    },
  };
}
