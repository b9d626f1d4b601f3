import { randomUUID } from "node:crypto";
import { startEmulator, type Emulator, type EmulatorOptions } from "../../src/emulator/index.js";
import type { NemoClient } from "../../src/nemo/client.js";
import type { NemoAuth } from "../../src/nemo/types.js";
import { testClient } from "./local-server.js";

/** Emulator timings small enough that a whole turn or render takes a few hundred milliseconds. */
export const FAST_TIMING = { turnStepMs: 5, heartbeatMs: 20, renderMs: 150, heartbeatOnlyMs: 3_000 };

export async function fastEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  return startEmulator({ anonymousPerIpLimit: Infinity, ...options, timing: { ...FAST_TIMING, ...options.timing } });
}

/** A fresh anonymous user with one session, on the given emulator. */
export async function freshUser(client: NemoClient): Promise<{ auth: NemoAuth; sessionId: string; clientId: string }> {
  const clientId = randomUUID();
  const { token } = await client.anonymousToken(clientId);
  const auth = { token };
  const { sessionId } = await client.createSession(auth, { language: "en" });
  return { auth, sessionId, clientId };
}

export { testClient };
