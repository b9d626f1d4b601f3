import { statSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { basename } from "node:path";
import { randomBytes } from "node:crypto";
import { FakeGateway } from "./gateway.js";
import { memberPayload, userPayload } from "./payloads.js";
import { FakeRest } from "./rest.js";
import type { RouteLimitOptions } from "./route-limits.js";
import { snowflake } from "./snowflake.js";
import { FakeStore, type FakeInteraction, type FakeMessage } from "./store.js";

/**
 * A fake Discord on loopback for tests: REST under /api/v10, the gateway over WebSocket on the same
 * port, and a CDN for attachment bytes. It reads like a chat: `runCommand`, `pressButton`,
 * `waitForReply(interactionId, /regex/)`, and it keeps everything the app sent it.
 */

export interface FakeDiscordOptions {
  applicationId?: string;
  botUserId?: string;
  /** Guilds the bot is in, each with its text channels. Default one guild with one channel. */
  guilds?: Array<{ id: string; channels: string[] }>;
  heartbeatIntervalMs?: number;
  ackDeadlineMs?: number;
  /** How long an interaction token works (Discord: 15 minutes); then webhooks answer 50027. */
  interactionTokenTtlMs?: number;
  /**
   * Discord's per-route limits: one bucket per route and channel, guild or webhook token, told in
   * X-RateLimit headers, 429 past them. Default 5 requests per 5 s, what Discord's buckets for
   * messages in a channel are commonly seen to allow (it publishes no numbers); `false`: only the
   * global limit is kept.
   */
  routeLimits?: RouteLimitOptions | false;
}

export interface CommandAttachment {
  path: string;
  filename?: string;
  contentType: string;
  /** The size Discord reports; defaults to the file's real size. */
  size?: number;
  /** The option's name; default "file". */
  optionName?: string;
}

export interface RunCommandInput {
  name: string;
  options?: Record<string, string | number | boolean>;
  attachment?: CommandAttachment;
  userId?: string;
  channelId?: string;
  /** Leave out for a DM. */
  guildId?: string;
  locale?: string;
  attachmentSizeLimit?: number;
}

export interface PressButtonInput {
  customId: string;
  userId?: string;
  channelId?: string;
  guildId?: string;
  locale?: string;
}

export interface PostMessageInput {
  content: string;
  userId?: string;
  channelId?: string;
  guildId?: string;
  attachments?: CommandAttachment[];
  mentionBot?: boolean;
  /** Other fields of the message as Discord sends them: `sticker_items`, a `poll`, a system message's `type`. */
  extra?: Record<string, unknown>;
}

export interface FakeDiscord {
  /** For `rest: { api }` and DISCORD_API_ROOT: `http://127.0.0.1:PORT/api`. */
  apiRoot: string;
  baseUrl: string;
  applicationId: string;
  botUserId: string;
  guildId: string;
  channelId: string;
  store: FakeStore;
  /** Sockets that completed the handshake. */
  readonly connections: number;
  runCommand(input: RunCommandInput): FakeInteraction;
  pressButton(input: PressButtonInput): FakeInteraction;
  postMessage(input: PostMessageInput): { messageId: string };
  /** Resolves with the first message of the interaction (its webhook messages, or later channel/DM messages to its user) whose content matches. */
  waitForReply(interactionId: string, pattern: RegExp, timeoutMs?: number): Promise<FakeMessage>;
  waitFor<T>(check: () => T | undefined, timeoutMs?: number, what?: string): Promise<T>;
  /** Every message that answers the interaction, in order of creation. */
  repliesTo(interactionId: string): FakeMessage[];
  denyChannel(channelId: string): void;
  /** A slow network: the next `times` requests with files take effect at once but are answered only after `ms`. */
  delayFileAnswers(ms: number, times?: number): void;
  /** The next `times` requests with files take effect, but are answered `status` (a proxy's 502). */
  failFileAnswers(status: number, times?: number): void;
  /** Answers the fake is holding back right now (see delayFileAnswers). */
  readonly heldAnswers: number;
  closeDms(userId: string): void;
  dmChannelOf(userId: string): string | undefined;
  /** Replays the gateway event of an interaction or a message (same id), as after a RESUME. */
  redeliver(id: string): void;
  /** Makes the interaction's token answer 50027 from now on. */
  expireToken(interactionId: string): void;
  /** Puts a file on the fake CDN, as Discord does with a user's attachment, and answers its signed URL. */
  hostFile(file: CommandAttachment): string;
  close(): Promise<void>;
}

const DEFAULT_ROUTE_LIMITS: RouteLimitOptions = { limit: 5, resetAfterMs: 5_000 };

export async function startFakeDiscord(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const applicationId = options.applicationId ?? snowflake();
  const botUserId = options.botUserId ?? applicationId;
  const guilds = options.guilds ?? [{ id: snowflake(), channels: [snowflake()] }];
  const store = new FakeStore();
  const cdnFiles = new Map<string, { path: string; contentType: string }>();
  const ttl = options.interactionTokenTtlMs ?? 15 * 60_000;
  let baseUrl = "";
  const wsUrl = () => baseUrl.replace(/^http/, "ws");

  const server = createServer();
  const rest = new FakeRest(store, {
    applicationId,
    botUserId,
    baseUrl: () => baseUrl,
    wsUrl,
    ackDeadlineMs: options.ackDeadlineMs ?? 3000,
    cdnFiles,
    ...(options.routeLimits === false ? {} : { routeLimits: options.routeLimits ?? DEFAULT_ROUTE_LIMITS }),
  });
  server.on("request", (req, res) => {
    rest.handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    });
  });
  const gateway = new FakeGateway(server, store, {
    applicationId,
    botUserId,
    guilds,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41_250,
    wsUrl,
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const defaultGuild = guilds[0]!;
  const defaultChannel = defaultGuild.channels[0]!;

  function attachmentPayload(a: CommandAttachment) {
    const id = snowflake();
    const filename = a.filename ?? basename(a.path);
    cdnFiles.set(id, { path: a.path, contentType: a.contentType });
    // Discord's CDN links are signed and expire (ex/is/hm).
    const url = `${baseUrl}/cdn/attachments/${id}/${encodeURIComponent(filename)}?ex=${Math.floor(Date.now() / 1000 + 86400).toString(16)}&is=0&hm=${randomBytes(8).toString("hex")}`;
    return {
      id,
      filename,
      size: a.size ?? statSync(a.path).size,
      url,
      proxy_url: url,
      content_type: a.contentType,
      ephemeral: false,
    };
  }

  function base(userId: string, channelId: string, guildId: string | undefined, locale: string) {
    const id = snowflake();
    const token = `aW50ZXJhY3Rpb246${randomBytes(24).toString("base64url")}`;
    const who = guildId ? { member: memberPayload(userId), guild_id: guildId, guild_locale: "en-US" } : { user: userPayload(userId) };
    return {
      id,
      token,
      payload: {
        id,
        application_id: applicationId,
        token,
        version: 1,
        locale,
        channel_id: channelId,
        channel: { id: channelId, type: guildId ? 0 : 1, ...(guildId ? { guild_id: guildId, name: "general" } : {}) },
        app_permissions: "2248473465835073",
        entitlements: [],
        authorizing_integration_owners: { "0": guildId ?? userId },
        context: guildId ? 0 : 1,
        attachment_size_limit: 10 * 1024 * 1024,
        ...who,
      },
    };
  }

  function record(id: string, token: string, type: 2 | 3, name: string, userId: string, channelId: string, guildId: string | undefined): FakeInteraction {
    const interaction: FakeInteraction = {
      id,
      token,
      type,
      name,
      userId,
      channelId,
      guildId,
      dispatchedAt: Date.now(),
      callback: undefined,
      originalId: undefined,
      tokenExpiresAt: Date.now() + ttl,
    };
    store.interactions.set(id, interaction);
    return interaction;
  }

  const placeOf = (input: { userId?: string; channelId?: string; guildId?: string }) => {
    const userId = input.userId ?? "100000000000000001";
    const guildId = input.guildId;
    const channelId = input.channelId ?? (guildId ? defaultChannel : (store.dmChannels.get(userId) ?? dmFor(userId)));
    return { userId, guildId, channelId };
  };

  function dmFor(userId: string): string {
    const id = snowflake();
    store.dmChannels.set(userId, id);
    return id;
  }

  function matches(message: FakeMessage, pattern: RegExp): boolean {
    return [message.content, ...message.history].some((text) => pattern.test(text)) || message.files.some((f) => pattern.test(f.name));
  }

  const fake: FakeDiscord = {
    apiRoot: `${baseUrl}/api`,
    baseUrl,
    applicationId,
    botUserId,
    guildId: defaultGuild.id,
    channelId: defaultChannel,
    store,
    get connections() {
      return gateway.connections;
    },

    runCommand(input) {
      const { userId, guildId, channelId } = placeOf(input);
      const { id, token, payload } = base(userId, channelId, guildId, input.locale ?? "en-US");
      const options: Array<{ name: string; type: number; value: string | number | boolean }> = Object.entries(input.options ?? {}).map(
        ([name, value]) => ({ name, type: typeof value === "string" ? 3 : typeof value === "boolean" ? 5 : 10, value }),
      );
      const resolved: Record<string, unknown> = {};
      if (input.attachment) {
        const attachment = attachmentPayload(input.attachment);
        options.push({ name: input.attachment.optionName ?? "file", type: 11, value: attachment.id });
        resolved.attachments = { [attachment.id]: attachment };
      }
      if (input.attachmentSizeLimit !== undefined) payload.attachment_size_limit = input.attachmentSizeLimit;
      const interaction = record(id, token, 2, input.name, userId, channelId, guildId);
      gateway.dispatch("INTERACTION_CREATE", {
        ...payload,
        type: 2,
        data: { id: snowflake(), name: input.name, type: 1, options, ...(input.attachment ? { resolved } : {}) },
      });
      return interaction;
    },

    pressButton(input) {
      const { userId, guildId, channelId } = placeOf(input);
      const { id, token, payload } = base(userId, channelId, guildId, input.locale ?? "en-US");
      const interaction = record(id, token, 3, input.customId, userId, channelId, guildId);
      const messageId = snowflake();
      gateway.dispatch("INTERACTION_CREATE", {
        ...payload,
        type: 3,
        data: { custom_id: input.customId, component_type: 2 },
        message: {
          id: messageId,
          channel_id: channelId,
          author: userPayload(botUserId, "NemoBot", true),
          content: "",
          timestamp: new Date().toISOString(),
          edited_timestamp: null,
          tts: false,
          mention_everyone: false,
          mentions: [],
          mention_roles: [],
          attachments: [],
          embeds: [],
          pinned: false,
          type: 0,
          flags: 0,
          components: [],
        },
      });
      return interaction;
    },

    postMessage(input) {
      const { userId, guildId, channelId } = placeOf(input);
      const id = snowflake();
      const mention = input.mentionBot ? `<@${botUserId}> ` : "";
      gateway.dispatch("MESSAGE_CREATE", {
        id,
        channel_id: channelId,
        // Discord says the channel's type, which discord.js needs to build an uncached DM channel.
        channel_type: guildId ? 0 : 1,
        ...(guildId ? { guild_id: guildId, member: { ...memberPayload(userId), user: undefined } } : {}),
        author: userPayload(userId),
        content: `${mention}${input.content}`,
        timestamp: new Date().toISOString(),
        edited_timestamp: null,
        tts: false,
        mention_everyone: false,
        mentions: input.mentionBot ? [userPayload(botUserId, "NemoBot", true)] : [],
        mention_roles: [],
        attachments: (input.attachments ?? []).map(attachmentPayload),
        embeds: [],
        pinned: false,
        type: 0,
        flags: 0,
        ...input.extra,
      });
      return { messageId: id };
    },

    redeliver(id) {
      gateway.redispatch(id);
    },

    repliesTo(interactionId) {
      const interaction = store.interactions.get(interactionId);
      if (!interaction) return [];
      const dm = store.dmChannels.get(interaction.userId);
      return [...store.messages.values()]
        .filter(
          (m) =>
            !m.deleted &&
            (m.interactionId === interactionId ||
              (m.via === "channel" && m.createdAt >= interaction.dispatchedAt && (m.channelId === interaction.channelId || m.channelId === dm))),
        )
        .sort((a, b) => a.createdAt - b.createdAt);
    },

    waitForReply(interactionId, pattern, timeoutMs) {
      return fake.waitFor(() => fake.repliesTo(interactionId).find((m) => matches(m, pattern)), timeoutMs, `a reply matching ${String(pattern)}`);
    },

    waitFor(check, timeoutMs = 10_000, what = "a condition") {
      return new Promise((resolve, reject) => {
        const tryNow = () => {
          const value = check();
          if (value === undefined || value === false) return false;
          cleanup();
          resolve(value);
          return true;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`fake Discord: timed out waiting for ${what}`));
        }, timeoutMs);
        // Changes in the fake wake the check at once; a slow poll covers conditions outside it.
        const poll = setInterval(tryNow, 20);
        const cleanup = () => {
          clearTimeout(timer);
          clearInterval(poll);
          store.off("change", tryNow);
        };
        store.on("change", tryNow);
        tryNow();
      });
    },

    delayFileAnswers(ms, times = 1) {
      rest.delayFileAnswers(ms, times);
    },
    failFileAnswers(status, times = 1) {
      rest.failFileAnswers(status, times);
    },
    get heldAnswers() {
      return rest.heldAnswers;
    },
    denyChannel(channelId) {
      store.deniedChannels.add(channelId);
    },
    closeDms(userId) {
      store.closedDms.add(userId);
    },
    dmChannelOf(userId) {
      return store.dmChannels.get(userId);
    },
    expireToken(interactionId) {
      const interaction = store.interactions.get(interactionId);
      if (interaction) interaction.tokenExpiresAt = 0;
    },
    hostFile(file) {
      return attachmentPayload(file).url;
    },

    async close() {
      await gateway.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}
