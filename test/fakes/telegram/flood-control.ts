/**
 * Telegram's flood control, as its Bots FAQ ("My bot is hitting limits, how do I avoid this?")
 * describes it: in one chat, no more than one message per second; in one group, no more than 20
 * messages per minute; for the whole bot, no more than about 30 messages per second. "We may allow
 * short bursts that go over this limit, but eventually you'll begin receiving 429 errors." So each
 * limit is a sustained rate with a short burst on top (the generic cell rate algorithm), and a
 * message over it is answered 429 with `parameters.retry_after`, whole seconds until it would pass.
 *
 * `timeScale` < 1 runs every period faster, for tests whose bot is configured with the same scale
 * (retry_after is then in scaled seconds too). Written from the FAQ, not from the bot's code.
 */

/** What counts as a message: sending or editing one (chat actions, deletes and reads do not). */
const MESSAGE_METHODS = new Set([
  "sendMessage",
  "sendVideo",
  "sendDocument",
  "sendPhoto",
  "sendAudio",
  "sendVoice",
  "sendAnimation",
  "sendSticker",
  "sendMediaGroup",
  "copyMessage",
  "forwardMessage",
  "editMessageText",
  "editMessageCaption",
  "editMessageMedia",
  "editMessageReplyMarkup",
]);

interface Limit {
  /** ms between two messages at the sustained rate. */
  intervalMs: number;
  /** Messages that may go at once after a quiet spell. */
  burst: number;
}

const PER_BOT: Limit = { intervalMs: 1000 / 30, burst: 30 };
const PER_PRIVATE_CHAT: Limit = { intervalMs: 1000, burst: 3 };
const PER_GROUP: Limit = { intervalMs: 60_000 / 20, burst: 3 };

export class FloodControl {
  /** Per scope: when its next message is due at the sustained rate. */
  private readonly due = new Map<string, number>();

  private readonly perBot: Limit;

  /** `botPerSecond`: the bot's own limit when Telegram raised it (paid broadcasts); default 30. */
  constructor(
    private readonly timeScale = 1,
    botPerSecond?: number,
  ) {
    this.perBot = botPerSecond === undefined ? PER_BOT : { intervalMs: 1000 / botPerSecond, burst: Math.max(PER_BOT.burst, Math.round(botPerSecond)) };
  }

  static counts(method: string): boolean {
    return MESSAGE_METHODS.has(method);
  }

  /** undefined when the message may go now (and counts it); else its retry_after in (scaled) seconds. */
  admit(chatId: unknown, now = Date.now()): number | undefined {
    const scopes: [string, Limit][] = [["bot", this.perBot]];
    if (chatId !== undefined && chatId !== "") {
      const isPrivate = /^\d+$/.test(String(chatId));
      scopes.push([`chat:${String(chatId)}`, isPrivate ? PER_PRIVATE_CHAT : PER_GROUP]);
    }
    let waitMs = 0;
    for (const [key, limit] of scopes) {
      const interval = limit.intervalMs * this.timeScale;
      const due = Math.max(this.due.get(key) ?? now, now);
      waitMs = Math.max(waitMs, due - (limit.burst - 1) * interval - now);
    }
    if (waitMs > 0) return Math.max(1, Math.ceil(waitMs / (1000 * this.timeScale)));
    for (const [key, limit] of scopes) {
      this.due.set(key, Math.max(this.due.get(key) ?? now, now) + limit.intervalMs * this.timeScale);
    }
    return undefined;
  }
}
