import { Client, GatewayIntentBits, Partials } from "discord.js";
import type { Config } from "../../src/config.js";
import { discordRequest } from "./http.js";

/**
 * The gateway connection. Slash commands and buttons need only Guilds; DMs need DirectMessages
 * (and the Channel partial, since DM channels are not cached at start). Plain messages in servers
 * need the privileged Message Content intent, so the operator opts in with DISCORD_MESSAGE_CONTENT.
 */
export function createDiscordClient(config: Config): Client {
  const intents = [GatewayIntentBits.Guilds, GatewayIntentBits.DirectMessages];
  if (config.DISCORD_MESSAGE_CONTENT) intents.push(GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent);
  return new Client({
    intents,
    partials: [Partials.Channel],
    // Our own request function and Agent: the gateway's REST calls never use the global dispatcher.
    rest: { api: config.DISCORD_API_ROOT, timeout: config.REQUEST_TIMEOUT_MS, makeRequest: discordRequest() },
  });
}
