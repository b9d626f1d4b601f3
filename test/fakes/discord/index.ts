export { startFakeDiscord } from "./server.js";
export type { FakeDiscord, FakeDiscordOptions, RunCommandInput, PressButtonInput, PostMessageInput, CommandAttachment } from "./server.js";
export type { FakeMessage, FakeInteraction, FakeFile } from "./store.js";
