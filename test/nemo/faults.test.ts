import { Readable } from "node:stream";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { isNemoError, type NemoError } from "../../src/errors.js";
import type { NemoClient } from "../../src/nemo/client.js";
import type { TurnEvent } from "../../src/nemo/types.js";
import { fastEmulator, freshUser, testClient } from "./emulator-setup.js";
import { caught, collect } from "./local-server.js";

/** Every failure the emulator can stage, as the client reports it. */

let emulator: Emulator;
let client: NemoClient;
beforeAll(async () => {
  emulator = await fastEmulator({ ffmpeg: false });
  client = testClient(emulator.url);
});
beforeEach(() => emulator.faults.clear());
afterAll(() => emulator.close());

const png = (name = "still.png") => ({ fileName: name, size: 4, contentType: "image/png", open: () => Readable.from([Buffer.from("fake")]) });

async function code(work: () => Promise<unknown>): Promise<string> {
  const error = await caught(work);
  if (!isNemoError(error)) throw error;
  return error.code;
}

describe("backend error codes through the emulator", () => {
  it("1001: an expired token is token_invalid on every authenticated call, and the message hides the token", async () => {
    const { auth, sessionId } = await freshUser(client);
    emulator.faults.add({ kind: "token-expired", route: "credits" });
    const error = (await caught(() => client.credits(auth))) as NemoError;
    expect(error.code).toBe("token_invalid");
    expect(error.backendCode).toBe(1001);
    expect(error.message).not.toContain(auth.token);
    emulator.expireToken(auth.token);
    expect(await code(() => client.state(auth, sessionId))).toBe("token_invalid");
    expect(await code(() => collect(client.streamTurn(auth, sessionId, "hi")))).toBe("token_invalid");
  });

  it("1002 and 404 Session not found: session_not_found, on the stream before any event", async () => {
    const { auth, sessionId } = await freshUser(client);
    emulator.faults.add({ kind: "session-lost", route: "run-sse" });
    const seen: TurnEvent[] = [];
    const error = await caught(async () => {
      for await (const event of client.streamTurn(auth, sessionId, "hello")) seen.push(event);
    });
    expect(isNemoError(error, "session_not_found")).toBe(true);
    expect((error as NemoError).status).toBe(404);
    expect(seen).toEqual([]);
    emulator.faults.add({ kind: "session-lost", route: "upload" });
    expect(await code(() => client.uploadFiles(auth, sessionId, [png()]))).toBe("session_not_found");
    emulator.dropSession(sessionId);
    expect(await code(() => client.state(auth, sessionId))).toBe("session_not_found");
  });

  it("2001: no_credits carries the bind id for the registration link", async () => {
    const { auth, sessionId } = await freshUser(client);
    const created = await client.createSession(auth, { language: "en" });
    emulator.faults.add({ kind: "no-credits" });
    const error = (await caught(() => collect(client.streamTurn(auth, sessionId, "make it pop")))) as NemoError;
    expect(error.code).toBe("no_credits");
    expect(error.bindId).toBeTruthy();
    expect(error.bindId).toBe(created.bindId);
  });

  it("4001 and 4002: unsupported_file and file_too_large", async () => {
    const { auth, sessionId } = await freshUser(client);
    expect(await code(() => client.uploadFiles(auth, sessionId, [png("virus.exe")]))).toBe("unsupported_file");
    emulator.faults.add({ kind: "unsupported-file" });
    expect(await code(() => client.uploadFiles(auth, sessionId, [png()]))).toBe("unsupported_file");
    emulator.faults.add({ kind: "file-too-large" });
    expect(await code(() => client.uploadFiles(auth, sessionId, [png()]))).toBe("file_too_large");
  });

  it("a file over the emulator's real size limit is file_too_large", async () => {
    const small = await fastEmulator({ ffmpeg: false, maxUploadBytes: 1024 });
    try {
      const c = testClient(small.url);
      const { auth, sessionId } = await freshUser(c);
      const big = { fileName: "big.mp4", size: 4096, open: () => Readable.from([Buffer.alloc(4096)]) };
      expect(await code(() => c.uploadFiles(auth, sessionId, [big]))).toBe("file_too_large");
    } finally {
      await small.close();
    }
  });

  it("HTTP 402: plan_blocked on export", async () => {
    const { auth, sessionId } = await freshUser(client);
    emulator.faults.add({ kind: "export-blocked" });
    expect(await code(() => client.startRender(auth, { id: `render_${Date.now()}`, sessionId, draft: {} }))).toBe("plan_blocked");
  });

  it("HTTP 429: retried once and then fine; twice in a row is rate_limited", async () => {
    const { auth } = await freshUser(client);
    const before = emulator.counters.requests("credits");
    emulator.faults.add({ kind: "rate-limit", route: "credits" });
    expect((await client.credits(auth)).available).toBe(100);
    expect(emulator.counters.requests("credits") - before).toBe(2);
    emulator.faults.add({ kind: "rate-limit", route: "credits", times: 2 });
    expect(await code(() => client.credits(auth))).toBe("rate_limited");
  });

  it("HTTP 429 on /run_sse is thrown, never retried: the message reached the stream once", async () => {
    const { auth, sessionId } = await freshUser(client);
    emulator.faults.add({ kind: "rate-limit", route: "run-sse" });
    expect(await code(() => collect(client.streamTurn(auth, sessionId, "only once please")))).toBe("rate_limited");
    expect(emulator.counters.runSse(sessionId, "only once please")).toBe(1);
  });

  it("HTTP 400 without X-Client-Id is missing_client_id; the per-IP limit is anonymous_limit", async () => {
    expect(await code(() => client.anonymousToken(""))).toBe("missing_client_id");
    emulator.faults.add({ kind: "anonymous-limit", times: 2 });
    expect(await code(() => client.anonymousToken("limited-client"))).toBe("anonymous_limit");
  });

  it("the emulator's own per-IP limit is anonymous_limit too", async () => {
    const limited = await fastEmulator({ ffmpeg: false, anonymousPerIpLimit: 1 });
    try {
      const c = testClient(limited.url);
      await c.anonymousToken("first");
      expect(await code(() => c.anonymousToken("second"))).toBe("anonymous_limit");
    } finally {
      await limited.close();
    }
  });

  it("HTTP 500, 502 and 503 are server errors, not retried", async () => {
    const { auth } = await freshUser(client);
    for (const status of [500, 502, 503]) {
      const before = emulator.counters.requests("credits");
      emulator.faults.add({ kind: "server-error", route: "credits", status });
      const error = (await caught(() => client.credits(auth))) as NemoError;
      expect(error.code).toBe("server");
      expect(error.status).toBe(status);
      expect(emulator.counters.requests("credits") - before).toBe(1);
    }
  });

  it("a render that fails reads as failed", async () => {
    const { auth, sessionId } = await freshUser(client);
    await client.uploadFiles(auth, sessionId, [png()]);
    const id = `render_fail_${Date.now()}`;
    emulator.faults.add({ kind: "render-fails" });
    await client.startRender(auth, { id, sessionId, draft: (await client.state(auth, sessionId)).draft ?? {} });
    let status = await client.renderStatus(auth, id);
    while (status.status !== "failed" && status.status !== "completed") {
      await new Promise((r) => setTimeout(r, 20));
      status = await client.renderStatus(auth, id);
    }
    expect(status.status).toBe("failed");
  });
});

describe("stream faults through the emulator", () => {
  it("a silent turn ends with no text at all", async () => {
    const { auth, sessionId } = await freshUser(client);
    await client.uploadFiles(auth, sessionId, [png()]);
    emulator.faults.add({ kind: "silent-turn" });
    const events = await collect(client.streamTurn(auth, sessionId, "make it 5 seconds"));
    expect(events.some((e) => e.type === "text")).toBe(false);
    expect(events.some((e) => e.type === "tool-result")).toBe(true);
  });

  it("heartbeats alone end in turn_timeout after the silence limit", async () => {
    const { auth, sessionId } = await freshUser(client);
    emulator.faults.add({ kind: "heartbeat-only" });
    const quick = testClient(emulator.url, { silentTimeoutMs: 200 });
    const seen: TurnEvent[] = [];
    const error = await caught(async () => {
      for await (const event of quick.streamTurn(auth, sessionId, "wait for it")) seen.push(event);
    });
    expect(isNemoError(error, "turn_timeout")).toBe(true);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((e) => e.type === "heartbeat")).toBe(true);
  });

  it("a dropped stream is network, after the edit was applied (so callers read the state, never re-send)", async () => {
    const { auth, sessionId } = await freshUser(client);
    await client.uploadFiles(auth, sessionId, [png()]);
    emulator.faults.add({ kind: "drop-stream" });
    const seen: TurnEvent[] = [];
    const error = await caught(async () => {
      for await (const event of client.streamTurn(auth, sessionId, 'add a title "Dropped"')) seen.push(event);
    });
    expect(isNemoError(error, "network")).toBe(true);
    expect(seen.some((e) => e.type === "tool-call")).toBe(true);
    expect(JSON.stringify((await client.state(auth, sessionId)).draft)).toContain("Dropped");
    expect(emulator.counters.runSse(sessionId, 'add a title "Dropped"')).toBe(1);
  });

  it("invalid frames are reported and the turn still completes", async () => {
    const { auth, sessionId } = await freshUser(client);
    await client.uploadFiles(auth, sessionId, [png()]);
    emulator.faults.add({ kind: "invalid-frames" });
    const events = await collect(client.streamTurn(auth, sessionId, 'add a title "Still fine"'));
    expect(events.filter((e) => e.type === "invalid").length).toBeGreaterThanOrEqual(1);
    expect(events.at(-1)?.type).toBe("text");
  });

  it("an error event mid-stream is an error event, with HTTP 200", async () => {
    const { auth, sessionId } = await freshUser(client);
    emulator.faults.add({ kind: "stream-error" });
    const events = await collect(client.streamTurn(auth, sessionId, "anything"));
    expect(events.find((e) => e.type === "error")).toMatchObject({ type: "error", code: "MODEL_ERROR" });
  });
});
