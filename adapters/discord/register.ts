import { REST } from "@discordjs/rest";
import { Routes } from "discord.js";
import type { Config } from "../../src/config.js";
import { ChatError } from "../../src/errors.js";
import { slashCommands } from "./commands.js";
import { discordRequest } from "./http.js";

/**
 * Puts the slash commands on Discord: in one guild when DISCORD_GUILD_ID is set (visible at once,
 * good for testing), else globally (Discord may take a while to show them everywhere).
 * A PUT replaces the whole set, so running it again is harmless.
 */
export async function registerCommands(config: Config): Promise<{ scope: "global" | "guild"; names: string[] }> {
  if (!config.DISCORD_TOKEN || !config.DISCORD_APPLICATION_ID) {
    throw new ChatError("config_invalid", "DISCORD_TOKEN and DISCORD_APPLICATION_ID are needed to register commands");
  }
  const rest = new REST({ api: config.DISCORD_API_ROOT, timeout: config.REQUEST_TIMEOUT_MS, makeRequest: discordRequest() }).setToken(config.DISCORD_TOKEN);
  const route = config.DISCORD_GUILD_ID
    ? Routes.applicationGuildCommands(config.DISCORD_APPLICATION_ID, config.DISCORD_GUILD_ID)
    : Routes.applicationCommands(config.DISCORD_APPLICATION_ID);
  const saved = (await rest.put(route, { body: slashCommands() })) as Array<{ name: string }>;
  return { scope: config.DISCORD_GUILD_ID ? "guild" : "global", names: saved.map((c) => c.name) };
}
