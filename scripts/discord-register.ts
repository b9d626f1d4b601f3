/** `npm run discord:register`: puts the bot's slash commands on Discord (in DISCORD_GUILD_ID when set). */
import { registerCommands } from "../adapters/discord/register.js";
import { ConfigError, loadConfig } from "../src/config.js";

try {
  const result = await registerCommands(loadConfig(process.env));
  console.log(`Registered ${result.names.length} commands (${result.scope}): ${result.names.map((n) => `/${n}`).join(" ")}`);
} catch (error) {
  console.error(error instanceof ConfigError || error instanceof Error ? error.message : String(error));
  process.exit(1);
}
