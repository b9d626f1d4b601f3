import type { ChatMessage } from "../../src/chat/message.js";
import { startHarness, type Harness } from "../telegram/harness.js";

/**
 * A polling bot (the real Telegram adapter against the fake Bot API) whose handler holds the
 * messages `holds` picks until `release()`, as a slow handling would: for the tests of what the
 * offsets of its getUpdates calls confirm meanwhile, and where the updates confirmed are kept.
 */
export interface HeldHandling {
  h: Harness;
  /** Every message handed to the handler, in order, held ones included. */
  received: ChatMessage[];
  /** The offset each getUpdates call sent, in order (0: none). */
  offsets(): number[];
  /** Lets every held handling finish (and any later one through). */
  release(): void;
  /** Releases, then stops the bot and its fake Telegram. */
  close(): Promise<void>;
}

/** `env`: the bot's settings on top of the harness's (TELEGRAM_INBOX_MAX_IN_HAND picks the polling mode). */
export async function startHoldingBot(holds: (message: ChatMessage) => boolean, env: Record<string, string> = {}): Promise<HeldHandling> {
  const h = await startHarness({ start: false, env });
  let release = (): void => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const received: ChatMessage[] = [];
  await h.adapter.start(async (message) => {
    received.push(message);
    if (holds(message)) await gate;
  });
  return {
    h,
    received,
    offsets: () => h.fake.calls("getUpdates").map((c) => Number(c.params.offset ?? 0)),
    release: () => release(),
    async close() {
      release();
      await h.close();
    },
  };
}
