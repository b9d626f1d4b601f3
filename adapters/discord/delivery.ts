import { REST, type RateLimitData, type RawFile } from "@discordjs/rest";
import { Routes, type APIActionRowComponent, type APIComponentInActionRow, type APIMessage } from "discord.js";
import type { Logger } from "../../src/log.js";
import {
  DiscordCode,
  DiscordDeliveryError,
  describeError,
  hasCode,
  noChannelAccess,
  toDeliveryError,
  webhookGone,
} from "./discord-errors.js";
import { discordRequest } from "./http.js";
import { givesWay, inLane, noting429, refusalOf } from "./lanes.js";
import { filesSentOnce } from "./send-once.js";
import type { DiscordLane, DiscordPacing } from "./rate-limits.js";
import { liveWebhook, type DiscordReplyData } from "./reply-data.js";
import type { DiscordRef } from "./refs.js";

const LOADING = 1 << 7;
const EPHEMERAL = 1 << 6;

export interface MessageBody {
  content: string;
  components?: APIActionRowComponent<APIComponentInActionRow>[];
}

/** A post that must not be repeated: its Discord `nonce` (at most 25 characters), the same on every attempt. */
export interface PostOnce {
  nonce: string;
}

export interface DeliveryOptions {
  apiRoot: string;
  token: string | undefined;
  requestTimeoutMs: number;
  /** Uploads of a whole video take longer than @discordjs/rest's 15 s default. */
  uploadTimeoutMs: number;
  logger: Logger;
  /** The global limit shared by the bot's processes (absent: each REST client keeps its own). */
  pacing?: DiscordPacing;
}

/**
 * Where a message goes, decided per call: the interaction's webhook while its token is valid
 * (claiming the deferred "thinking…" reply first), else a channel message, else a DM when the app
 * cannot post in the channel. Everything over @discordjs/rest, which keeps each route's bucket.
 *
 * Each call goes in a lane (lanes.ts): answers and videos wait for their slot (the bot's global one
 * in Redis, then their route's bucket); a status or progress message takes a global slot only when
 * one is near, and is refused (RateLimitedError, nothing sent) rather than wait on a spent bucket.
 */
export class DiscordDelivery {
  /** One client for every request, so one view of every route's bucket (uploads too: send-once.ts). */
  private readonly rest: REST;
  private readonly logger: Logger;
  private readonly pacing: DiscordPacing | undefined;
  /** Interactions whose deferred reply this process has already taken (or found taken). */
  private readonly claims = new Map<string, { claim: Promise<boolean>; until: number }>();

  constructor(options: DeliveryOptions) {
    const pacing = options.pacing;
    // Consulted before any wait on a bucket and on every 429: a global one pauses the bot's other
    // processes too; a status request gives way instead of waiting.
    const shared = { rejectOnRateLimit: (info: RateLimitData) => (pacing?.onRateLimit(info), givesWay(info)) };
    // Our own request function and Agent, so posts with files work whichever undici set the global
    // dispatcher; a post with files is sent once, with the upload timeout.
    const makeRequest = noting429(filesSentOnce(discordRequest(), options.uploadTimeoutMs));
    this.rest = new REST({ api: options.apiRoot, timeout: options.requestTimeoutMs, makeRequest, ...shared });
    this.pacing = options.pacing;
    if (options.token) this.rest.setToken(options.token);
    this.logger = options.logger;
  }

  /**
   * Posts a new message wherever it can reach the user. With `once` (a video), the channel comes
   * first: there Discord's `enforce_nonce` returns the message a timed-out attempt already created
   * instead of a second copy. The interaction's webhook takes no nonce, so such a post goes through it
   * only when the app may not post in the channel (a user-installed app): there it is at least once.
   */
  async post(data: DiscordReplyData, body: MessageBody, files: RawFile[] = [], once?: PostOnce, lane: DiscordLane = "answer"): Promise<DiscordRef> {
    return inLane(lane, () => this.postIn(lane, data, body, files, once));
  }

  private async postIn(lane: DiscordLane, data: DiscordReplyData, body: MessageBody, files: RawFile[], once: PostOnce | undefined): Promise<DiscordRef> {
    const channelFirst = once !== undefined && !data.ephemeral;
    if (channelFirst) {
      const posted = await this.inChannel(lane, data, body, files, once);
      if (posted) return posted;
    }
    const viaHook = await this.viaWebhook(data, body, files);
    if (viaHook) return viaHook;
    return channelFirst ? this.inDm(lane, data, body, files, once) : this.postToChannel(lane, data, body, files, once);
  }

  /** Through the interaction's webhook while its token lives; undefined once it is gone. */
  private async viaWebhook(data: DiscordReplyData, body: MessageBody, files: RawFile[]): Promise<DiscordRef | undefined> {
    const hook = liveWebhook(data);
    if (!hook || !data.interactionId) return undefined;
    try {
      if (await this.claimOriginal(data.interactionId, hook, data.expiresAt ?? 0)) {
        const message = await this.webhookWrite("PATCH", Routes.webhookMessage(hook.applicationId, hook.token, "@original"), body, files);
        return { kind: "webhook", messageId: message.id };
      }
      const followUp = { ...body, ...(data.ephemeral ? { flags: EPHEMERAL } : {}) };
      const message = await this.webhookWrite("POST", Routes.webhook(hook.applicationId, hook.token), followUp, files);
      return { kind: "webhook", messageId: message.id };
    } catch (error) {
      if (!webhookGone(error)) throw refusalOf(error) ?? toDeliveryError(error);
      this.logger.info({ interactionId: data.interactionId }, "discord: interaction token no longer valid, posting to the channel");
      return undefined;
    }
  }

  /** Edits a message in place; undefined when it is gone (or its webhook is) so the caller posts anew. */
  async edit(data: DiscordReplyData, ref: DiscordRef, body: MessageBody, lane: DiscordLane = "status"): Promise<DiscordRef | undefined> {
    return inLane(lane, () => this.editIn(lane, data, ref, body));
  }

  private async editIn(lane: DiscordLane, data: DiscordReplyData, ref: DiscordRef, body: MessageBody): Promise<DiscordRef | undefined> {
    try {
      if (ref.kind === "webhook") {
        const hook = liveWebhook(data);
        // After the window the status moves to a new channel message: the webhook may die any moment.
        if (!hook) return undefined;
        await this.webhookWrite("PATCH", Routes.webhookMessage(hook.applicationId, hook.token, ref.messageId), body, []);
        return ref;
      }
      await this.paced(lane);
      await this.rest.patch(Routes.channelMessage(ref.channelId, ref.messageId), { body: withNoPings(body) });
      return ref;
    } catch (error) {
      const refused = refusalOf(error);
      if (refused) throw refused;
      if (hasCode(error, DiscordCode.unknownMessage) || webhookGone(error)) {
        this.logger.info({ error: describeError(error) }, "discord: status message gone, posting a new one");
        return undefined;
      }
      throw toDeliveryError(error);
    }
  }

  async deleteChannelMessage(channelId: string, messageId: string): Promise<boolean> {
    try {
      await inLane("answer", async () => {
        await this.paced("answer");
        await this.rest.delete(Routes.channelMessage(channelId, messageId));
      });
      return true;
    } catch (error) {
      this.logger.info({ error: describeError(error) }, "discord: could not delete a message");
      return false;
    }
  }

  async typing(channelId: string): Promise<void> {
    try {
      // A courtesy: only when a slot is near.
      await inLane("status", async () => {
        await this.paced("status");
        await this.rest.post(Routes.channelTyping(channelId));
      });
    } catch (error) {
      this.logger.debug({ error: describeError(error) }, "discord: typing indicator refused");
    }
  }

  private async postToChannel(lane: DiscordLane, data: DiscordReplyData, body: MessageBody, files: RawFile[], once: PostOnce | undefined): Promise<DiscordRef> {
    // An ephemeral exchange (/token) must not surface in a shared channel: only a DM is private enough.
    if (!data.ephemeral || !data.guildId) {
      const posted = await this.inChannel(lane, data, body, files, once);
      if (posted) return posted;
    }
    return this.inDm(lane, data, body, files, once);
  }

  /** A channel message; undefined when the app may not post in a guild's channel (a DM may do). */
  private async inChannel(lane: DiscordLane, data: DiscordReplyData, body: MessageBody, files: RawFile[], once: PostOnce | undefined): Promise<DiscordRef | undefined> {
    try {
      const reply = data.messageId && !data.interactionId ? { message_reference: { message_id: data.messageId, fail_if_not_exists: false } } : {};
      const message = await this.channelPost(lane, data.channelId, { ...body, ...reply }, files, once);
      return { kind: "channel", channelId: data.channelId, messageId: message.id };
    } catch (error) {
      if (!noChannelAccess(error) || !data.guildId) return this.unreachable(data, error);
      this.logger.info({ channelId: data.channelId }, "discord: no access to the channel, sending a DM instead");
      return undefined;
    }
  }

  private async inDm(lane: DiscordLane, data: DiscordReplyData, body: MessageBody, files: RawFile[], once: PostOnce | undefined): Promise<DiscordRef> {
    try {
      await this.paced(lane);
      const dm = (await this.rest.post(Routes.userChannels(), { body: { recipient_id: data.userId } })) as { id: string };
      const message = await this.channelPost(lane, dm.id, body, files, once);
      return { kind: "channel", channelId: dm.id, messageId: message.id };
    } catch (error) {
      return this.unreachable(data, error);
    }
  }

  private unreachable(data: DiscordReplyData, error: unknown): never {
    const refused = refusalOf(error);
    if (refused) throw refused;
    if (hasCode(error, DiscordCode.cannotDmUser)) {
      this.logger.warn(
        { userId: data.userId, channelId: data.channelId, error: describeError(error) },
        "discord: cannot deliver: the interaction expired, the channel is closed to the app and the user's DMs are closed",
      );
      throw new DiscordDeliveryError("forbidden", "The user cannot be reached: channel closed to the app and DMs closed", {
        status: 403,
        discordCode: DiscordCode.cannotDmUser,
      });
    }
    throw toDeliveryError(error);
  }

  private async channelPost(lane: DiscordLane, channelId: string, body: MessageBody & { message_reference?: unknown }, files: RawFile[], once: PostOnce | undefined): Promise<APIMessage> {
    // Create Message: with `enforce_nonce`, a message the bot created with the same nonce in the past
    // few minutes is answered instead of a new one being made.
    const nonce = once ? { nonce: once.nonce, enforce_nonce: true } : {};
    await this.paced(lane);
    return (await this.rest.post(Routes.channelMessages(channelId), { body: withFiles(withNoPings({ ...body, ...nonce }), files), files })) as APIMessage;
  }

  /** A slot under the bot's global limit, for a request with the bot's token (interaction webhooks need none). */
  private async paced(lane: DiscordLane): Promise<void> {
    await this.pacing?.take(lane);
  }

  private async webhookWrite(method: "PATCH" | "POST", route: `/${string}`, body: MessageBody, files: RawFile[]): Promise<APIMessage> {
    const request = { auth: false, body: withFiles(withNoPings(body), files), files };
    if (method === "PATCH") return (await this.rest.patch(route, request)) as APIMessage;
    return (await this.rest.post(route, { ...request, query: new URLSearchParams({ wait: "true" }) })) as APIMessage;
  }

  /**
   * The first answer to a deferred interaction replaces its "thinking…" reply; later ones are
   * follow-ups. Discord marks an untouched deferred reply with the LOADING flag, so any process can
   * tell; within one process concurrent callers share one look, and only the first one claims.
   */
  private async claimOriginal(interactionId: string, hook: { applicationId: string; token: string }, until: number): Promise<boolean> {
    const now = Date.now();
    for (const [id, entry] of this.claims) if (entry.until < now) this.claims.delete(id);
    const existing = this.claims.get(interactionId);
    if (existing) {
      await existing.claim.catch(() => false);
      return false;
    }
    // Other callers wait for this look whatever their lane: it runs as an answer, never refused.
    const claim = inLane("answer", async () => {
      try {
        const original = (await this.rest.get(Routes.webhookMessage(hook.applicationId, hook.token, "@original"), { auth: false })) as APIMessage;
        return ((original.flags ?? 0) & LOADING) !== 0;
      } catch (error) {
        if (hasCode(error, DiscordCode.unknownMessage)) return false;
        throw error;
      }
    });
    this.claims.set(interactionId, { claim, until });
    try {
      return await claim;
    } catch (error) {
      this.claims.delete(interactionId);
      throw error;
    }
  }
}

/** The bot repeats what an AI wrote: it must never ping @everyone or a role by accident. */
function withNoPings<T extends object>(body: T): T & { allowed_mentions: { parse: [] } } {
  return { ...body, allowed_mentions: { parse: [] } };
}

function withFiles<T extends object>(body: T, files: RawFile[]): T {
  if (files.length === 0) return body;
  return { ...body, attachments: files.map((file, id) => ({ id, filename: file.name })) };
}
