import { Events, MessageFlags, type ButtonInteraction, type ChatInputCommandInteraction, type Client, type Interaction, type Message } from "discord.js";
import type { RedisClient } from "../../src/redis/client.js";
import type { ChatAdapter, MessageHandler } from "../../src/chat/adapter.js";
import type { ChatMessage } from "../../src/chat/message.js";
import type { Config } from "../../src/config.js";
import { ChatError } from "../../src/errors.js";
import { discordUpdateKey, UpdateClaims } from "../../src/chat/update-claims.js";
import { messages } from "../../src/i18n/index.js";
import type { Logger } from "../../src/log.js";
import type { SkillProfile } from "../../src/nemo/skills.js";
import { SharedRateLimiter } from "../../src/ratelimit/shared-limiter.js";
import { createDiscordClient } from "./client.js";
import { EPHEMERAL_COMMANDS } from "./commands.js";
import { describeError } from "./discord-errors.js";
import { createAttachmentOpener } from "./files.js";
import { createDiscordOutbox } from "./outbox.js";
import { DEFAULT_DISCORD_LIMITS, DiscordPacing, type DiscordRateLimits } from "./rate-limits.js";
import { tokenSeal } from "./seal.js";
import { interactionToMessage, plainMessageToMessage } from "./to-chat-message.js";

export { createDiscordOutbox } from "./outbox.js";
export { slashCommands } from "./commands.js";
export { registerCommands } from "./register.js";
export { DEFAULT_DISCORD_LIMITS, type DiscordRateLimits } from "./rate-limits.js";

export interface DiscordAdapterDeps {
  logger: Logger;
  /**
   * Not needed: the router checks files against the skill in the same words for every platform,
   * and Discord adds no limit of its own on what users send. Accepted so adapters are built alike.
   */
  skill?: Pick<SkillProfile, "acceptedFormats" | "maxFileBytes">;
  /** Where the bot's global rate limit is kept, shared with its other processes (keys under QUEUE_PREFIX). */
  redis: RedisClient;
  rateLimits?: Partial<DiscordRateLimits>;
}

/**
 * The Discord app: slash commands, buttons, and (with DISCORD_MESSAGE_CONTENT) plain messages in DMs
 * and @mentions. Every interaction is deferred first, within Discord's 3 seconds, before anything
 * slow; answers come through the Outbox, which needs no gateway, so workers can use it too.
 */
export function createDiscordAdapter(config: Config, deps: DiscordAdapterDeps): ChatAdapter {
  const logger = deps.logger.child({ platform: "discord" });
  const limits: DiscordRateLimits = { ...DEFAULT_DISCORD_LIMITS, globalPerSecond: config.DISCORD_REQUESTS_PER_SECOND, ...deps.rateLimits };
  const botId = config.DISCORD_APPLICATION_ID ?? "bot";
  const outbox = createDiscordOutbox({
    apiRoot: config.DISCORD_API_ROOT,
    token: config.DISCORD_TOKEN,
    requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
    uploadTimeoutMs: config.UPLOAD_TIMEOUT_MS,
    logger,
    pacing: new DiscordPacing(new SharedRateLimiter(deps.redis, logger), limits, botId, config.QUEUE_PREFIX, logger),
  });
  const openAttachment = createAttachmentOpener({ timeoutMs: config.REQUEST_TIMEOUT_MS });
  const seal = tokenSeal(config.DISCORD_TOKEN);
  const claims = new UpdateClaims(deps.redis, config.QUEUE_PREFIX);
  /** Interactions this process is acknowledging or handling now. */
  const handling = new Set<string>();
  const inFlight = new Set<Promise<void>>();
  let client: Client | undefined;
  let accepting = false;

  function track(work: Promise<void>): void {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  }

  /** Hands a message to the router; a failure still gets the user an answer, never a silent "thinking…". */
  async function deliver(message: ChatMessage, handle: MessageHandler): Promise<void> {
    try {
      await handle(message);
    } catch (error) {
      logger.error({ error: describeError(error), messageId: message.messageId }, "discord: handling a message failed");
      await outbox.sendText(message.replyTo, messages(message.locale).unknownError).catch(() => undefined);
    }
  }

  async function onInteraction(interaction: Interaction, handle: MessageHandler): Promise<void> {
    if (!accepting || !(interaction.isChatInputCommand() || interaction.isButton())) return;
    const ephemeral = interaction.isChatInputCommand() && EPHEMERAL_COMMANDS.has(interaction.commandName);
    // A gateway replay must not answer or queue again. One replayed while this process still handles
    // the first is dropped here, before a second acknowledgement; one handled already is dropped by
    // its mark in Redis (below); one reaching another process meanwhile is refused by Discord's own
    // acknowledgement (an interaction is deferred once), and the router queues its items once.
    const updateKey = discordUpdateKey("interaction", interaction.id);
    if (handling.has(updateKey)) {
      logger.debug({ updateKey }, "discord: duplicate update dropped");
      return;
    }
    handling.add(updateKey);
    try {
      await acknowledgeAndDeliver(interaction, updateKey, ephemeral, handle);
    } finally {
      handling.delete(updateKey);
    }
  }

  async function acknowledgeAndDeliver(interaction: ChatInputCommandInteraction | ButtonInteraction, updateKey: string, ephemeral: boolean, handle: MessageHandler): Promise<void> {
    const handled = await claims.state(updateKey).then(
      (state) => state.handled,
      (error: unknown) => {
        // Redis is away: acknowledge anyway (within Discord's 3 s); the router will say what failed.
        logger.warn({ err: error, interactionId: interaction.id }, "discord: could not look up an interaction");
        return false;
      },
    );
    if (handled) {
      logger.debug({ updateKey }, "discord: duplicate update dropped");
      return;
    }
    try {
      // First, before anything that could take time: Discord drops interactions not answered in 3 s.
      await interaction.deferReply(ephemeral ? { flags: MessageFlags.Ephemeral } : {});
    } catch (error) {
      logger.warn({ error: describeError(error), interactionId: interaction.id }, "discord: could not acknowledge an interaction in time");
      return;
    }
    const message = interactionToMessage(interaction, { windowMs: config.DISCORD_INTERACTION_WINDOW_MS, ephemeral, seal });
    logger.debug(
      { interactionId: interaction.id, command: interaction.isChatInputCommand() ? interaction.commandName : undefined, button: message.button },
      "discord: interaction",
    );
    if (interaction.isButton() && !message.button) {
      await outbox.sendText(message.replyTo, messages(message.locale).unknownError).catch(() => undefined);
      return;
    }
    await deliver({ ...message, updateKey }, handle);
  }

  async function onMessage(raw: Message, handle: MessageHandler): Promise<void> {
    const botId = client?.user?.id;
    if (!accepting || !botId) return;
    const message = plainMessageToMessage(raw, botId, seal);
    // The router looks the message's id up before it answers or queues anything, and marks it handled after.
    if (message) await deliver({ ...message, updateKey: discordUpdateKey("message", raw.id) }, handle);
  }

  return {
    platform: "discord",
    outbox,
    openAttachment,
    // Discord's attachments are signed CDN links, public for a day.
    opens: (source) => source.type === "public-url",
    // Mentions on Discord carry the bot's id, not its name.
    botUsername: () => undefined,
    // Discord reaches the bot over its gateway: no route of its own.
    httpRoutes: () => ({}),

    async start(handle) {
      if (!config.DISCORD_TOKEN) throw new ChatError("config_invalid", "DISCORD_TOKEN is not set");
      const c = createDiscordClient(config);
      client = c;
      accepting = true;
      c.on(Events.InteractionCreate, (interaction) => track(onInteraction(interaction, handle)));
      if (config.DISCORD_MESSAGE_CONTENT) c.on(Events.MessageCreate, (message) => track(onMessage(message, handle)));
      c.on(Events.Error, (error) => logger.error({ error: describeError(error) }, "discord: client error"));
      const ready = new Promise<void>((resolve) => c.once(Events.ClientReady, () => resolve()));
      await c.login(config.DISCORD_TOKEN);
      await ready;
      logger.info({ botUserId: c.user?.id }, "discord: connected to the gateway");
    },

    async stop() {
      accepting = false;
      await Promise.allSettled([...inFlight]);
      await client?.destroy();
      client = undefined;
    },

    healthy() {
      return client?.isReady() ?? false;
    },
  };
}
