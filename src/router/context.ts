import { randomUUID } from "node:crypto";
import type { SessionRef } from "../accounts/types.js";
import { errorText } from "../chat/error-text.js";
import type { ChatMessage, Locale } from "../chat/message.js";
import { messages } from "../i18n/index.js";
import { admit } from "../quota/admit.js";
import type { Logger } from "../log.js";
import type { RouteContext, RouterDeps } from "./types.js";

/**
 * `log`: the message's logger when the caller has made it already (one child logger per message).
 * `queuedBefore`: how many of this update's items an earlier, unfinished handling queued already.
 */
export function createContext(deps: RouterDeps, message: ChatMessage, locale: Locale, log?: Logger, queuedBefore = 0): RouteContext {
  const outbox = deps.outbox(message.platform);
  const t = messages(locale);
  const now = deps.now ?? Date.now;
  const newId = deps.newId ?? randomUUID;
  const ref: SessionRef = { platform: message.platform, userKey: message.userKey, chatId: message.chatId, locale };
  let handledMarked = false;
  log ??= deps.logger.child({ platform: message.platform, chatId: message.chatId, userKey: message.userKey });

  const ctx: RouteContext = {
    message,
    deps,
    locale,
    t,
    ref,
    outbox,
    log,
    get handledMarked() {
      return handledMarked;
    },
    async reply(text, options) {
      await outbox.sendText(message.replyTo, text, options);
    },
    async explain(error) {
      const tokenKind = await deps.accounts.tokenKind(message.userKey).catch(() => "anonymous" as const);
      return errorText(error, locale, {
        tokenKind,
        maxFileBytes: deps.skill.maxFileBytes,
        acceptedFormats: deps.skill.acceptedFormats,
        registerUrl: deps.config.NEMO_REGISTER_URL,
      });
    },
    async submit(items, costs) {
      // Every item is queued already (a re-delivery after a crash): it was paid for then.
      const admission = queuedBefore >= items.length ? { ok: true as const } : await admit(deps.quotas, message.userKey, costs, locale, now());
      if (!admission.ok) {
        await ctx.reply(admission.text);
        return false;
      }
      let firstPosition: number | undefined;
      // What comes after an upload in one submission is its caption's request: it needs those files.
      let upload: string | undefined;
      for (const [index, item] of items.entries()) {
        const envelope = {
          id: newId(),
          session: ref,
          replyTo: message.replyTo,
          locale,
          item,
          receivedAt: now(),
          ...(upload === undefined ? {} : { dependsOn: upload }),
        };
        // Recorded with its update in the same step it is queued: a re-delivered update queues only
        // what its first handling did not (a process killed between an upload and its caption's edit).
        // Its last item carries the update's handled mark: a submission is its handler's last step.
        const origin = message.updateKey === undefined ? undefined : { updateKey: message.updateKey, index, last: index === items.length - 1 };
        const { position, full, queuedAs, marked } = await deps.work.submit(envelope, origin);
        if (marked) handledMarked = true;
        if (queuedAs !== undefined) {
          log.info({ updateKey: message.updateKey, item: queuedAs }, "duplicate update dropped: its item was queued already");
          if (item.kind === "upload") upload = queuedAs;
          continue;
        }
        if (full) {
          // Nothing more is queued; what was queued before it in this message stays.
          log.info({ waiting: position }, "mailbox full");
          await ctx.reply(t.mailboxFull({ waiting: position }));
          return false;
        }
        firstPosition ??= position;
        if (item.kind === "upload") upload = envelope.id;
      }
      // An item that cannot start at once gets its status message now ("⏳ Queued: 2 ahead of you"),
      // posted and kept current by the work queue (jobs/line/).
      if (firstPosition !== undefined) log.info({ items: items.map((i) => i.kind), position: firstPosition }, "queued");
      return true;
    },
  };
  return ctx;
}
