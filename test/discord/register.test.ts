import { afterEach, describe, expect, it } from "vitest";
import { registerCommands } from "../../adapters/discord/register.js";
import { startFakeDiscord, type FakeDiscord } from "../fakes/discord/index.js";
import { discordConfig } from "./helpers.js";

describe("Discord command registration", () => {
  let fake: FakeDiscord | undefined;
  afterEach(async () => fake?.close());

  it("puts every command in the guild when DISCORD_GUILD_ID is set, with Chinese descriptions", async () => {
    fake = await startFakeDiscord();
    const result = await registerCommands(discordConfig(fake, { DISCORD_GUILD_ID: fake.guildId }));
    expect(result.scope).toBe("guild");
    const saved = fake.store.registeredCommands.get(fake.guildId) as Array<{
      name: string;
      description_localizations?: Record<string, string>;
      options?: Array<{ name: string; type: number; required?: boolean }>;
    }>;
    expect(saved.map((c) => c.name)).toEqual(["edit", "upload", "export", "timeline", "status", "credits", "new", "token", "cancel", "help", "lang"]);
    expect(saved.every((c) => c.description_localizations?.["zh-CN"])).toBe(true);
    const edit = saved.find((c) => c.name === "edit");
    expect(edit?.options?.map((o) => [o.name, o.type, o.required ?? false])).toEqual([
      ["prompt", 3, true],
      ["file", 11, false],
    ]);
  });

  it("puts them globally without a guild", async () => {
    fake = await startFakeDiscord();
    const result = await registerCommands(discordConfig(fake));
    expect(result.scope).toBe("global");
    expect(fake.store.registeredCommands.get("global")).toHaveLength(11);
  });
});
