import { expect } from "vitest";
import type { FakeTelegram } from "../fakes/telegram/server.js";

/** The bot kept to Telegram's limits: the fake's flood control refused nothing (programmed 429s aside). */
export function expectWithinLimits(fake: FakeTelegram): void {
  expect(fake.floodRefusals.map((r) => `${r.method} ${String(r.params.chat_id)} at ${r.at}`), "messages refused by Telegram's flood control").toEqual([]);
}
