import type { Emulator } from "../../src/emulator/index.js";

/** What reached the emulator so far: anonymous tokens issued, sessions created, requests. */
export function emulatorCounts(emulator: Emulator): { tokens: number; sessions: number; requests: number } {
  return {
    tokens: emulator.counters.anonymousTokensIssued(),
    sessions: emulator.counters.sessionsCreated(),
    requests: emulator.counters.requests(),
  };
}
