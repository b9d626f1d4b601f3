import type { RedisPreferences } from "../accounts/preferences.js";
import type { Accounts, SessionRef, TokenStore } from "../accounts/types.js";
import type { Intent } from "../chat/intents.js";
import type { UpdateClaims } from "../chat/update-claims.js";
import type { ChatMessage, Locale, Platform } from "../chat/message.js";
import type { Button, Outbox } from "../chat/outbox.js";
import type { Config } from "../config.js";
import type { Messages } from "../i18n/index.js";
import type { Logger } from "../log.js";
import type { NemoApi } from "../nemo/types.js";
import type { SkillProfile } from "../nemo/skills.js";
import type { Thumbnails } from "../present/thumbnails.js";
import type { QuotaKind, Quotas } from "../quota/limits.js";
import type { MessageRateLimit } from "../quota/message-rate.js";
import type { WorkItem, WorkQueue } from "../work/types.js";

export interface RouterDeps {
  config: Config;
  accounts: Accounts & TokenStore;
  nemo: NemoApi;
  work: WorkQueue;
  outbox: (platform: Platform) => Outbox;
  skill: SkillProfile;
  quotas: Quotas;
  /** Messages of any kind per user (absent: no limit). */
  messageRate?: MessageRateLimit;
  /** Kept in Redis: a message's first read takes the user's language from its hash in the same script. */
  preferences: RedisPreferences;
  /** Each platform update once (see ChatMessage.updateKey). */
  claims: UpdateClaims;
  logger: Logger;
  /** Clip thumbnails for the timeline picture; placeholders without. */
  thumbnails?: Thumbnails;
  /** The bot's @name per platform, to read `/export@name` and mentions in groups. */
  botUsername?: (platform: Platform) => string | undefined;
  /** Told the kind of every message routed (metrics: messages by intent). */
  onRouted?: (platform: Platform, intent: string) => void;
  /** Work item ids (default randomUUID). */
  newId?: () => string;
  now?: () => number;
}

/** What every handler gets: the message, who it is, their language, and ways to answer. */
export interface RouteContext {
  message: ChatMessage;
  deps: RouterDeps;
  /** The user's `/lang` choice, else the platform's language. */
  locale: Locale;
  t: Messages;
  /** This user's session in this chat. */
  ref: SessionRef;
  outbox: Outbox;
  log: Logger;
  /**
   * The update's handled mark was written with its last queued item (`submit`, in the same Redis
   * step): the router writes it no more. A submission is the last thing its handler does.
   */
  readonly handledMarked: boolean;
  reply(text: string, options?: { buttons?: Button[] }): Promise<void>;
  /** The user-facing sentence for a failure (error table, in the user's language). */
  explain(error: unknown): Promise<string>;
  /**
   * Takes the quotas the items cost, then queues them in order; says so and queues nothing when
   * a quota is used up. False when refused. Items after an upload depend on it: they run only when
   * every file of it arrived.
   */
  submit(items: WorkItem[], costs: QuotaKind[]): Promise<boolean>;
}

export type Handler<I extends Intent = Intent> = (ctx: RouteContext, intent: I) => Promise<void>;
