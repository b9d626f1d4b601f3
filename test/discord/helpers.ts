import { Writable } from "node:stream";
import { loadConfig, type Config } from "../../src/config.js";
import { createLogger, type Logger } from "../../src/log.js";
import type { ReplyHandle } from "../../src/chat/message.js";
import { toHandleData } from "../../adapters/discord/reply-data.js";
import { tokenSeal } from "../../adapters/discord/seal.js";
import type { FakeDiscord, FakeInteraction } from "../fakes/discord/index.js";

export const BOT_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDe.fake-discord-bot-token-for-tests";

export function discordConfig(fake: FakeDiscord, env: Record<string, string> = {}): Config {
  return loadConfig({
    DISCORD_TOKEN: BOT_TOKEN,
    DISCORD_APPLICATION_ID: fake.applicationId,
    DISCORD_API_ROOT: fake.apiRoot,
    LOG_LEVEL: "silent",
    ...env,
  });
}

/** A logger whose lines the test can read. */
export function capturingLogger(): { logger: Logger; lines: () => string } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger({ level: "debug", destination }), lines: () => chunks.join("") };
}

/** Acknowledges an interaction the way discord.js's deferReply does, so outbox tests need no gateway. */
export async function deferInFake(fake: FakeDiscord, interaction: FakeInteraction, ephemeral = false): Promise<void> {
  const response = await fetch(`${fake.apiRoot}/v10/interactions/${interaction.id}/${interaction.token}/callback`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ type: 5, data: ephemeral ? { flags: 64 } : {} }),
  });
  if (response.status !== 204) throw new Error(`defer failed: ${response.status} ${await response.text()}`);
}

/** The ReplyHandle the adapter would make for this interaction. */
export function handleFor(
  fake: FakeDiscord,
  interaction: FakeInteraction,
  options: { windowMs?: number; attachmentLimit?: number; ephemeral?: boolean } = {},
): ReplyHandle {
  return {
    platform: "discord",
    chatId: interaction.channelId,
    threadId: `discord:${interaction.channelId}:`,
    chatKind: interaction.guildId ? "group" : "private",
    data: toHandleData({
      channelId: interaction.channelId,
      userId: interaction.userId,
      guildId: interaction.guildId,
      applicationId: fake.applicationId,
      interactionId: interaction.id,
      token: interaction.token,
      expiresAt: interaction.dispatchedAt + (options.windowMs ?? 840_000),
      attachmentLimit: options.attachmentLimit ?? 10 * 1024 * 1024,
      ephemeral: options.ephemeral ?? false,
      messageId: undefined,
    }, tokenSeal(BOT_TOKEN)),
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
