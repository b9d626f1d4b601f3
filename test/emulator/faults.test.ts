import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { makeTestClip } from "../helpers/media.js";
import { call, captionTrack, fastEmulator, runSse, state, textOf, toolCalls, uploadFiles, user } from "./support.js";

describe("emulator: faults", () => {
  let emu: Emulator;
  let dir: string;
  let clip: string;

  beforeAll(async () => {
    emu = await fastEmulator({ anonymousPerIpLimit: Infinity });
    dir = await mkdtemp(join(tmpdir(), "emu-faults-"));
    clip = await makeTestClip(dir, { seconds: 3 });
  });
  afterEach(() => emu.faults.clear());
  afterAll(async () => {
    await emu.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function withClip() {
    const u = await user(emu.url);
    await uploadFiles(emu.url, u.token, u.sessionId, [clip]);
    return u;
  }

  it("silent-turn: applies the edit but sends tool calls only", async () => {
    const u = await withClip();
    emu.faults.add({ kind: "silent-turn" });
    const stream = await runSse(emu.url, u.token, u.sessionId, "add captions: Hello");
    expect(toolCalls(stream)).toEqual(["edit_multitrack"]);
    expect(textOf(stream)).toBe("");
    expect(captionTrack((await state(emu.url, u.token, u.sessionId)).draft)).toBeDefined();
    // Only once: the next turn talks again.
    expect(textOf(await runSse(emu.url, u.token, u.sessionId, "remove the captions"))).toContain("removed the captions");
  });

  it("heartbeat-only: nothing but heartbeats until it closes, and no edit", async () => {
    const u = await withClip();
    emu.faults.add({ kind: "heartbeat-only" });
    const stream = await runSse(emu.url, u.token, u.sessionId, "add captions: Hello");
    expect(stream.events).toEqual([]);
    expect(stream.heartbeats).toBeGreaterThan(2);
    expect(stream.raw).toMatch(/^: /m);
    expect(stream.raw).toMatch(/^data:\n/m);
    expect(captionTrack((await state(emu.url, u.token, u.sessionId)).draft)).toBeUndefined();
  });

  it("drop-stream: applies the edit, then breaks the connection before the text", async () => {
    const u = await withClip();
    emu.faults.add({ kind: "drop-stream" });
    const stream = await runSse(emu.url, u.token, u.sessionId, "add captions: Hello");
    expect(stream.error).toBeDefined();
    expect(textOf(stream)).toBe("");
    expect(captionTrack((await state(emu.url, u.token, u.sessionId)).draft)).toBeDefined();
  });

  it("invalid-frames: mixes frames that are not JSON among valid events", async () => {
    const u = await withClip();
    emu.faults.add({ kind: "invalid-frames" });
    const stream = await runSse(emu.url, u.token, u.sessionId, "add captions: Hello");
    expect(stream.invalid.length).toBeGreaterThan(0);
    expect(textOf(stream)).toContain("added a caption");
  });

  it("stream-error: an errorCode event with HTTP 200, and no edit", async () => {
    const u = await withClip();
    emu.faults.add({ kind: "stream-error" });
    const stream = await runSse(emu.url, u.token, u.sessionId, "add captions: Hello");
    expect(stream.status).toBe(200);
    expect(stream.events.some((e) => typeof e.errorCode === "string" && typeof e.errorMessage === "string")).toBe(true);
    expect(captionTrack((await state(emu.url, u.token, u.sessionId)).draft)).toBeUndefined();
    const credits = (await call(emu.url, "GET", "/api/credits/balance/simple", { token: u.token })).json as { data: { available: number } };
    expect(credits.data.available).toBe(100);
  });

  it("error-after-edit: the edit applied and its tool events sent, then an errorCode event and no text", async () => {
    const u = await withClip();
    emu.faults.add({ kind: "error-after-edit" });
    const stream = await runSse(emu.url, u.token, u.sessionId, "add captions: Hello");
    expect(stream.status).toBe(200);
    expect(toolCalls(stream)).toEqual(["edit_multitrack"]);
    expect(textOf(stream)).toBe("");
    expect(stream.events.some((e) => e.errorCode === "MODEL_ERROR")).toBe(true);
    expect(captionTrack((await state(emu.url, u.token, u.sessionId)).draft)).toBeDefined();
  });

  it("cut-short: the final event holds half the answer with errorCode MAX_TOKENS, the edit applied", async () => {
    const u = await withClip();
    emu.faults.add({ kind: "cut-short" });
    const stream = await runSse(emu.url, u.token, u.sessionId, "add captions: Hello");
    const last = stream.events[stream.events.length - 1];
    expect(last?.errorCode).toBe("MAX_TOKENS");
    expect(textOf(stream).length).toBeGreaterThan(0);
    expect(captionTrack((await state(emu.url, u.token, u.sessionId)).draft)).toBeDefined();
  });

  it("token-expired, session-lost, no-credits on the routes they name", async () => {
    const u = await withClip();
    emu.faults.add({ kind: "token-expired", route: "credits" });
    expect((await call(emu.url, "GET", "/api/credits/balance/simple", { token: u.token })).json).toEqual({ code: 1001, message: "token expired" });

    emu.faults.add({ kind: "session-lost", times: 2 });
    expect((await call(emu.url, "GET", `/api/state/nemo_agent/me/${u.sessionId}/latest`, { token: u.token })).json).toEqual({ code: 1002, message: "session not found" });
    const lost = await runSse(emu.url, u.token, u.sessionId, "hi");
    expect(lost.status).toBe(404);
    expect(JSON.parse(lost.raw)).toEqual({ detail: "Session not found" });

    emu.faults.add({ kind: "no-credits" });
    const broke = await runSse(emu.url, u.token, u.sessionId, "hi");
    expect(JSON.parse(broke.raw)).toMatchObject({ code: 2001, data: { bind_id: expect.stringMatching(/^bind_/) } });
    // The faults are used up: everything works again.
    expect(textOf(await runSse(emu.url, u.token, u.sessionId, "hi"))).not.toBe("");
  });

  it("rate-limit and server-error answer 429 and 5xx (502 is not JSON, like a gateway's)", async () => {
    const u = await user(emu.url);
    emu.faults.add({ kind: "rate-limit", route: "credits" });
    const limited = await call(emu.url, "GET", "/api/credits/balance/simple", { token: u.token });
    expect(limited.status).toBe(429);
    emu.faults.add({ kind: "server-error", route: "credits", status: 502 });
    const bad = await call(emu.url, "GET", "/api/credits/balance/simple", { token: u.token });
    expect(bad.status).toBe(502);
    expect(bad.json).toBeUndefined();
    emu.faults.add({ kind: "server-error", route: "state" });
    expect((await call(emu.url, "GET", `/api/state/nemo_agent/me/${u.sessionId}/latest`, { token: u.token })).status).toBe(500);
    expect((await call(emu.url, "GET", "/api/credits/balance/simple", { token: u.token })).status).toBe(200);
  });

  it("anonymous-limit refuses the anonymous token with 429", async () => {
    emu.faults.add({ kind: "anonymous-limit" });
    const refused = await call(emu.url, "POST", "/api/auth/anonymous-token", { headers: { "x-client-id": "fresh" } });
    expect(refused.status).toBe(429);
    expect((refused.json as { message: string }).message).toContain("limit");
  });

  it("applies faults in FIFO order, `times` each, and only to the session named", async () => {
    const a = await withClip();
    const b = await withClip();
    emu.faults.add({ kind: "silent-turn", sessionId: b.sessionId });
    emu.faults.add({ kind: "stream-error", times: 2 });
    // a's turns skip the fault aimed at b and take the stream errors.
    const first = await runSse(emu.url, a.token, a.sessionId, "add captions: Hello");
    expect(first.events.some((e) => e.errorCode)).toBe(true);
    // b takes its own silent turn first (FIFO), then the remaining stream error.
    expect(textOf(await runSse(emu.url, b.token, b.sessionId, "add captions: Hello"))).toBe("");
    expect((await runSse(emu.url, b.token, b.sessionId, "add captions: Hello")).events.some((e) => e.errorCode)).toBe(true);
    expect(emu.faults.pending()).toEqual([]);
    expect(textOf(await runSse(emu.url, a.token, a.sessionId, "add captions: Hello"))).toContain("added a caption");
  });

  it("takes faults over HTTP from other processes, and clears them", async () => {
    const u = await withClip();
    const added = await call(emu.url, "POST", "/__emulator/faults", { body: { kind: "silent-turn", times: 2 } });
    expect(added.status).toBe(200);
    expect(textOf(await runSse(emu.url, u.token, u.sessionId, "add captions: Hello"))).toBe("");
    expect((await call(emu.url, "DELETE", "/__emulator/faults")).status).toBe(200);
    expect(textOf(await runSse(emu.url, u.token, u.sessionId, "add captions: Hello"))).not.toBe("");
    const bad = await call(emu.url, "POST", "/__emulator/faults", { body: { kind: "gremlins" } });
    expect(bad.status).toBe(400);
  });

  it("reports health and counters over HTTP", async () => {
    const health = await call(emu.url, "GET", "/__emulator/health");
    expect(health.json).toMatchObject({ ok: true, emulator: true });
    const u = await user(emu.url);
    await runSse(emu.url, u.token, u.sessionId, "count me");
    const snapshot = (await call(emu.url, "GET", "/__emulator/counters")).json as {
      runSse: Record<string, Record<string, number>>;
      requests: Record<string, number>;
      sessionsCreated: number;
    };
    expect(snapshot.runSse[u.sessionId]).toEqual({ "count me": 1 });
    expect(snapshot.requests["run-sse"]).toBe(emu.counters.requests("run-sse"));
    expect(snapshot.sessionsCreated).toBe(emu.counters.sessionsCreated());
    await call(emu.url, "DELETE", "/__emulator/counters");
    expect(emu.counters.runSseTotal()).toBe(0);
  });
});
