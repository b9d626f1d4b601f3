import { describe, expect, it } from "vitest";
import { queryObjects } from "node:v8";
import { isNemoError } from "../../src/errors.js";
import type { TurnEvent } from "../../src/nemo/types.js";
import { caught, testClient, useLocalServers } from "./local-server.js";

/**
 * What an open event stream keeps while it waits, counted in the heap: a worker holds thousands of
 * them, so the limits are kept by one timer for all streams (no timer per stream), the caller's
 * signal reaches undici through a small relay (no AbortController per stream, and the caller's
 * AbortSignal is not kept once the caller lets it go: a turn's job drops its controller as it
 * parks), and the bytes are decoded and framed by one small object (no TextDecoder). The limits
 * and the caller's signal still end a stream.
 */

const auth = { token: "nmv_usr_footprint" };
const serve = useLocalServers();
const STREAMS = 20;

/** Node's Timeout class, for counting the live timers in the heap. */
const Timeout = (() => {
  const timer = setTimeout(() => undefined, 0);
  clearTimeout(timer);
  return timer.constructor as new () => unknown;
})();

const count = (constructor: new () => unknown): number => queryObjects(constructor, { format: "count" });

/** A server that answers every /run_sse with one heartbeat and then holds the stream open, timer-free. */
async function holdingServer() {
  return serve((_req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(": ping\n\n");
  });
}

/** Starts `n` streams and waits until each has its first heartbeat; `stop` aborts them all. */
async function openStreams(url: string, n: number, limits: { turnTimeoutMs?: number; silentTimeoutMs?: number } = {}) {
  const client = testClient(url, { turnTimeoutMs: 60_000, silentTimeoutMs: 60_000, ...limits });
  const controller = new AbortController();
  let heard = 0;
  const ends: Promise<unknown>[] = [];
  await new Promise<void>((resolve) => {
    for (let i = 0; i < n; i += 1) {
      const iterator = client.streamTurn(auth, `s${i}`, "hold", { signal: controller.signal })[Symbol.asyncIterator]();
      ends.push(
        (async () => {
          const first = await iterator.next();
          if ((first.value as TurnEvent | undefined)?.type === "heartbeat" && ++heard === n) resolve();
          for (;;) if ((await iterator.next()).done) return undefined;
        })().catch((error: unknown) => error),
      );
    }
  });
  return {
    ends,
    stop: async () => {
      controller.abort(new Error("test over"));
      return Promise.all(ends);
    },
  };
}

/** Opens `n` streams, each with its own controller as a turn's job has; the controllers are the caller's to drop. */
async function openTurns(url: string, n: number) {
  const client = testClient(url, { turnTimeoutMs: 60_000, silentTimeoutMs: 60_000 });
  let controllers = Array.from({ length: n }, () => new AbortController());
  const turns = await Promise.all(controllers.map((c, i) => client.openTurn(auth, `t${i}`, "hold", { signal: c.signal })));
  const ends: Promise<unknown>[] = [];
  let heard = 0;
  await new Promise<void>((resolve) => {
    for (const turn of turns) {
      ends.push(
        new Promise((end) => {
          let first = true;
          turn.listen({
            onEvent: () => {
              if (first && ++heard === n) resolve();
              first = false;
            },
            onEnd: end,
          });
        }),
      );
    }
  });
  return {
    ends,
    abort: (i: number, reason: unknown) => controllers[i]?.abort(reason),
    dropControllers: () => {
      controllers = [];
    },
    close: async () => {
      for (const turn of turns) turn.abort(new Error("test over"));
      return Promise.all(ends);
    },
  };
}

describe("an open /run_sse stream's footprint", () => {
  it("keeps neither its caller's AbortSignal once the caller lets it go, nor a TextDecoder", async () => {
    const s = await holdingServer();
    const warm = await openTurns(s.url, 1);
    const signalsBefore = count(AbortSignal);
    const decodersBefore = count(TextDecoder);
    const open = await openTurns(s.url, STREAMS);
    // While the caller keeps its controllers, their signals live (the caller's own).
    expect(count(AbortSignal) - signalsBefore).toBeGreaterThanOrEqual(STREAMS);
    open.dropControllers();
    const signalsKept = count(AbortSignal) - signalsBefore;
    const decoders = count(TextDecoder) - decodersBefore;
    await open.close();
    await warm.close();
    expect(signalsKept).toBeLessThanOrEqual(2);
    expect(decoders).toBeLessThanOrEqual(0);
  });

  it("the caller's signal still ends an open stream with the caller's reason", async () => {
    const s = await holdingServer();
    const open = await openTurns(s.url, 3);
    open.abort(1, new Error("shutting down"));
    expect(((await open.ends[1]) as Error).message).toBe("shutting down");
    await open.close();
  });

  it("the caller's signal still ends a request waiting for its headers", async () => {
    const s = await serve(() => undefined);
    const controller = new AbortController();
    const opening = testClient(s.url, { requestTimeoutMs: 10_000, silentTimeoutMs: 10_000 }).openTurn(auth, "1", "hello?", { signal: controller.signal });
    setTimeout(() => controller.abort(new Error("shutting down")), 100);
    const error = await caught(() => opening);
    expect((error as Error).message).toBe("shutting down");
    await expect.poll(() => s.requests.length).toBe(1);
  });

  it("holds no timer and no AbortController of its own while it waits", async () => {
    const s = await holdingServer();
    // One stream first, so the shared watchdog's one timer and undici's pool exist before counting.
    const warm = await openStreams(s.url, 1);
    const timersBefore = count(Timeout);
    const controllersBefore = count(AbortController);
    const open = await openStreams(s.url, STREAMS);
    const timersGrew = count(Timeout) - timersBefore;
    const controllersGrew = count(AbortController) - controllersBefore;
    await open.stop();
    await warm.stop();
    // The test's own controller is the only new one; a stream adds no timer at all (the slack is for
    // a timer of undici's or the server's that comes and goes; a timer per stream would be 20 more).
    expect(controllersGrew).toBeLessThanOrEqual(2);
    expect(timersGrew).toBeLessThanOrEqual(2);
  });

  it("the shared watchdog still ends every silent stream with turn_timeout", async () => {
    const s = await holdingServer();
    const quiet = await openStreams(s.url, 3, { silentTimeoutMs: 300 });
    const errors = await Promise.all(quiet.ends);
    expect(errors.every((error) => isNemoError(error, "turn_timeout"))).toBe(true);
  });

  it("the hard limit ends a stream whose agent keeps talking", async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      const frame = `data: ${JSON.stringify({ content: { parts: [{ text: "still here" }], role: "model" }, partial: true })}\n\n`;
      const talk = setInterval(() => res.write(frame), 20);
      res.on("close", () => clearInterval(talk));
    });
    const client = testClient(s.url, { turnTimeoutMs: 400, silentTimeoutMs: 60_000 });
    const seen: TurnEvent[] = [];
    const error = await caught(async () => {
      for await (const event of client.streamTurn(auth, "1", "talk")) seen.push(event);
    });
    expect(isNemoError(error, "turn_timeout")).toBe(true);
    expect(seen.some((e) => e.type === "text")).toBe(true);
  });

  it("a limit shorter than the headers timeout ends a request whose answer never starts", async () => {
    const s = await serve(() => undefined);
    const client = testClient(s.url, { requestTimeoutMs: 10_000, silentTimeoutMs: 300 });
    const error = await caught(async () => {
      for await (const event of client.streamTurn(auth, "1", "hello?")) void event;
    });
    expect(isNemoError(error, "turn_timeout")).toBe(true);
  });
});
