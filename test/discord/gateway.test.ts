import { Client, Events, GatewayIntentBits } from "discord.js";
import { afterEach, describe, expect, it } from "vitest";
import { startFakeDiscord, type FakeDiscord } from "../fakes/discord/index.js";

describe("fake Discord gateway with a real discord.js Client", () => {
  let fake: FakeDiscord | undefined;
  let client: Client | undefined;
  afterEach(async () => {
    await client?.destroy();
    await fake?.close();
  });

  it("completes HELLO → IDENTIFY → READY → GUILD_CREATE and answers heartbeats", async () => {
    fake = await startFakeDiscord({ heartbeatIntervalMs: 50 });
    client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiRoot } });
    const ready = new Promise<Client<true>>((resolve) => client!.once(Events.ClientReady, resolve));
    await client.login("fake-bot-token");
    const readyClient = await ready;

    expect(readyClient.user.id).toBe(fake.botUserId);
    expect(readyClient.user.bot).toBe(true);
    expect(readyClient.application.id).toBe(fake.applicationId);
    expect(readyClient.guilds.cache.get(fake.guildId)?.channels.cache.has(fake.channelId)).toBe(true);
    expect(fake.store.identifies[0]?.token).toBe("fake-bot-token");
    expect(fake.store.identifies[0]?.intents).toBe(GatewayIntentBits.Guilds);
    // Heartbeats keep coming and get ACKed: the client stays connected past several intervals.
    await fake.waitFor(() => (fake!.store.heartbeats >= 3 ? true : undefined), 5000, "three heartbeats");
    expect(fake.connections).toBe(1);
    expect(readyClient.ws.ping).toBeGreaterThanOrEqual(0);
  });
});
