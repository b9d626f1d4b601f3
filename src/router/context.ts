import { randomUUID } from "node:crypto";
import type { SessionRef } from "../accounts/types.js";
import { errorText } from "../chat/error-text.js";
import type { ChatMessage, Locale } from "../chat/message.js";
import type { Button, Outbox } from "../chat/outbox.js";
import { messages, type Messages } from "../i18n/index.js";
import { admit } from "../quota/admit.js";
import type { QuotaKind } from "../quota/limits.js";
import type { Logger } from "../log.js";
import type { WorkEnvelope, WorkItem } from "../work/types.js";
import type { RouteContext, RouterDeps } from "./types.js";

/**
 * `log`: the message's logger when the caller has made it already (one child logger per message).
 * `queuedBefore`: how many of this update's items an earlier, unfinished handling queued already.
 */
export function createContext(deps: RouterDeps, message: ChatMessage, locale: Locale, log?: Logger, queuedBefore = 0): RouteContext {
  return new MessageContext(deps, message, locale, log ?? deps.logger.child({ platform: message.platform, chatId: message.chatId, userKey: message.userKey }), queuedBefore);
}

/** A class rather than an object of closures: one is made for every message, its methods once. */
class MessageContext implements RouteContext {
  readonly t: Messages;
  readonly ref: SessionRef;
  readonly outbox: Outbox;
  private marked = false;

  constructor(
    readonly deps: RouterDeps,
    readonly message: ChatMessage,
    readonly locale: Locale,
    readonly log: Logger,
    private readonly queuedBefore: number,
  ) {
    this.outbox = deps.outbox(message.platform);
    this.t = messages(locale);
    this.ref = { platform: message.platform, userKey: message.userKey, chatId: message.chatId, locale };
  }

  get handledMarked(): boolean {
    return this.marked;
  }

  async reply(text: string, options?: { buttons?: Button[] }): Promise<void> {
    await this.outbox.sendText(this.message.replyTo, text, options);
  }

  async explain(error: unknown): Promise<string> {
    const { deps } = this;
    const tokenKind = await deps.accounts.tokenKind(this.message.userKey).catch(() => "anonymous" as const);
    return errorText(error, this.locale, {
      tokenKind,
      maxFileBytes: deps.skill.maxFileBytes,
      acceptedFormats: deps.skill.acceptedFormats,
      registerUrl: deps.config.NEMO_REGISTER_URL,
    });
  }

  async submit(items: WorkItem[], costs: QuotaKind[]): Promise<boolean> {
    const { deps, message, locale, log } = this;
    const now = deps.now ?? Date.now;
    const newId = deps.newId ?? randomUUID;
    // Every item is queued already (a re-delivery after a crash): it was paid for then.
    const admission = this.queuedBefore >= items.length ? { ok: true as const } : await admit(deps.quotas, message.userKey, costs, locale, now());
    if (!admission.ok) {
      await this.reply(admission.text);
      return false;
    }
    let firstPosition: number | undefined;
    // What comes after an upload in one submission is its caption's request: it needs those files.
    let upload: string | undefined;
    for (let index = 0; index < items.length; index++) {
      const item = items[index] as WorkItem;
      const envelope: WorkEnvelope = { id: newId(), session: this.ref, replyTo: message.replyTo, locale, item, receivedAt: now() };
      if (upload !== undefined) envelope.dependsOn = upload;
      // Recorded with its update in the same step it is queued: a re-delivered update queues only
      // what its first handling did not (a process killed between an upload and its caption's edit).
      // Its last item carries the update's handled mark: a submission is its handler's last step.
      const origin = message.updateKey === undefined ? undefined : { updateKey: message.updateKey, index, last: index === items.length - 1 };
      const { position, full, queuedAs, marked } = await deps.work.submit(envelope, origin);
      if (marked) this.marked = true;
      if (queuedAs !== undefined) {
        log.info({ updateKey: message.updateKey, item: queuedAs }, "duplicate update dropped: its item was queued already");
        if (item.kind === "upload") upload = queuedAs;
        continue;
      }
      if (full) {
        // Nothing more is queued; what was queued before it in this message stays.
        log.info({ waiting: position }, "mailbox full");
        await this.reply(this.t.mailboxFull({ waiting: position }));
        return false;
      }
      firstPosition ??= position;
      if (item.kind === "upload") upload = envelope.id;
    }
    // An item that cannot start at once gets its status message now ("⏳ Queued: 2 ahead of you"),
    // posted and kept current by the work queue (jobs/line/).
    if (firstPosition !== undefined) log.info({ items: items.map((i) => i.kind), position: firstPosition }, "queued");
    return true;
  }
}
