import { describe, expect, it } from "vitest";
import type { ServerResponse } from "node:http";
import { isNemoError, type NemoError } from "../../src/errors.js";
import type { TurnEvent } from "../../src/nemo/types.js";
import { caught, collect, sendJson, testClient, useLocalServers } from "./local-server.js";

const auth = { token: "nmv_usr_streamsecret" };
const serve = useLocalServers();

function sse(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
}

const textFrame = (text: string, extra: Record<string, unknown> = {}) =>
  `data: ${JSON.stringify({ content: { parts: [{ text }], role: "model" }, author: "nemo_agent", ...extra })}\n\n`;

describe("the /run_sse event stream", () => {
  it("sends the contract's request and reads events until the connection closes", async () => {
    const s = await serve((_req, res) => {
      sse(res);
      res.write(textFrame("Trim", { partial: true }));
      res.write(textFrame("ming…", { partial: true }));
      res.write(`data: ${JSON.stringify({ content: { parts: [{ functionCall: { id: "c1", name: "edit_multitrack", args: {} } }] } })}\n\n`);
      res.write(`data: ${JSON.stringify({ content: { parts: [{ functionResponse: { id: "c1", name: "edit_multitrack", response: {} } }], role: "user" } })}\n\n`);
      res.end(textFrame("Trimming…"));
    });
    const events = await collect(testClient(s.url).streamTurn(auth, "5529798706024415232", "trim to 30s"));
    expect(events).toEqual([
      { type: "text", text: "Trim", partial: true, author: "nemo_agent" },
      { type: "text", text: "ming…", partial: true, author: "nemo_agent" },
      { type: "tool-call", name: "edit_multitrack", id: "c1" },
      { type: "tool-result", name: "edit_multitrack", id: "c1" },
      { type: "text", text: "Trimming…", partial: false, author: "nemo_agent" },
    ]);
    const request = s.requests[0]!;
    expect(request.method).toBe("POST");
    expect(request.path).toBe("/run_sse");
    expect(request.headers.accept).toBe("text/event-stream");
    expect(request.headers.authorization).toBe(`Bearer ${auth.token}`);
    expect(request.headers["x-skill-source"]).toBe("nemo-video");
    expect(request.headers["x-skill-version"]).toBe("1.9");
    expect(request.headers["x-skill-platform"]).toBe("unknown");
    expect(JSON.parse(request.body.toString())).toEqual({
      app_name: "nemo_agent",
      user_id: "me",
      session_id: "5529798706024415232",
      new_message: { parts: [{ text: "trim to 30s" }] },
    });
  });

  it("reads pre-1.0 snake_case events, comment and empty heartbeats, and invalid frames without failing", async () => {
    const s = await serve((_req, res) => {
      sse(res);
      res.write(": keep-alive\n\n");
      res.write("data:\n\n");
      res.write('data: {"type":"heartbeat"}\n\n');
      res.write(`data: ${JSON.stringify({ content: { parts: [{ function_call: { id: "c2", name: "generate_video_with_seedance" } }] }, invocation_id: "e" })}\n\n`);
      res.write('data: {"error": "boom "quoted" text"}\n\n');
      res.write(`data: ${JSON.stringify({ error_code: "TOOL_ERROR", error_message: "tool failed" })}\n\n`);
      // A last frame without its blank line still arrives.
      res.end(`data: ${JSON.stringify({ content: { parts: [{ text: "bye" }] } })}\n`);
    });
    const events = await collect(testClient(s.url).streamTurn(auth, "1", "go"));
    expect(events).toEqual<TurnEvent[]>([
      { type: "heartbeat" },
      { type: "heartbeat" },
      { type: "heartbeat" },
      { type: "tool-call", name: "generate_video_with_seedance", id: "c2" },
      { type: "invalid", raw: '{"error": "boom "quoted" text"}' },
      { type: "error", code: "TOOL_ERROR", message: "tool failed" },
      { type: "text", text: "bye", partial: false },
    ]);
  });

  it("reads frames split across TCP writes at any byte, including inside a multibyte character", async () => {
    const whole = textFrame("多语言 ✓ done") + textFrame("second");
    const bytes = Buffer.from(whole, "utf8");
    const s = await serve(async (_req, res) => {
      sse(res);
      for (let i = 0; i < bytes.length; i += 7) {
        res.write(bytes.subarray(i, i + 7));
        await new Promise((r) => setImmediate(r));
      }
      res.end();
    });
    const texts = (await collect(testClient(s.url).streamTurn(auth, "1", "x"))).map((e) => (e.type === "text" ? e.text : e.type));
    expect(texts).toEqual(["多语言 ✓ done", "second"]);
  });

  it("ends quietly when the stream closes with no text at all (a third of edits do)", async () => {
    const s = await serve((_req, res) => {
      sse(res);
      res.end();
    });
    expect(await collect(testClient(s.url).streamTurn(auth, "1", "x"))).toEqual([]);
  });

  it("throws session_not_found before any event on 404 {detail: Session not found}", async () => {
    const s = await serve((_req, res) => sendJson(res, 404, { detail: "Session not found" }));
    const seen: TurnEvent[] = [];
    const error = await caught(async () => {
      for await (const event of testClient(s.url).streamTurn(auth, "1", "x")) seen.push(event);
    });
    expect(isNemoError(error, "session_not_found")).toBe(true);
    expect(seen).toEqual([]);
  });

  it("throws bad_request on 422 and the envelope's error for a 200 JSON envelope, before any event", async () => {
    const s = await serve((req, res) => {
      const body = JSON.parse(req.bodyBytes.toString()) as { session_id: string };
      if (body.session_id === "422") sendJson(res, 422, { detail: [{ loc: ["body", "new_message"], msg: "field required" }] });
      else sendJson(res, 200, { code: 1001, message: "token expired", data: null });
    });
    const client = testClient(s.url);
    const e422 = await caught(() => collect(client.streamTurn(auth, "422", "x")));
    expect(isNemoError(e422, "bad_request")).toBe(true);
    expect((e422 as NemoError).status).toBe(422);
    const e1001 = await caught(() => collect(client.streamTurn(auth, "1", "x")));
    expect(isNemoError(e1001, "token_invalid")).toBe(true);
    expect((e1001 as NemoError).backendCode).toBe(1001);
  });

  it("throws bad_response for an HTML page answered with 200 instead of a stream", async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html><body>Welcome to the gateway</body></html>");
    });
    expect(isNemoError(await caught(() => collect(testClient(s.url).streamTurn(auth, "1", "x"))), "bad_response")).toBe(true);
  });

  it("throws an envelope sent as the first frame before any event", async () => {
    const s = await serve((_req, res) => {
      sse(res);
      res.end(`data: ${JSON.stringify({ code: 2001, message: "no credits", data: { bind_id: "bind42" } })}\n\n`);
    });
    const error = await caught(() => collect(testClient(s.url).streamTurn(auth, "1", "x")));
    expect(isNemoError(error, "no_credits")).toBe(true);
    expect((error as NemoError).bindId).toBe("bind42");
  });

  it("never retries a 429: the message reaches the stream at most once", async () => {
    const s = await serve((_req, res) => sendJson(res, 429, { detail: "Too Many Requests" }));
    const error = await caught(() => collect(testClient(s.url, { retryAfter429Ms: 1 }).streamTurn(auth, "1", "x")));
    expect(isNemoError(error, "rate_limited")).toBe(true);
    expect(s.requests.length).toBe(1);
  });

  it("throws network when the connection drops mid-stream, after the events that came", async () => {
    const s = await serve((_req, res) => {
      sse(res);
      res.write(textFrame("working"));
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const seen: TurnEvent[] = [];
    const error = await caught(async () => {
      for await (const event of testClient(s.url).streamTurn(auth, "1", "x")) seen.push(event);
    });
    expect(isNemoError(error, "network")).toBe(true);
    expect((error as Error).message).toMatch(/may have been applied/);
    expect(seen.map((e) => e.type)).toEqual(["text"]);
  });

  it("throws network when nothing listens", async () => {
    const s = await serve((_req, res) => {
      res.end();
    });
    const url = s.url;
    await s.close();
    const error = await caught(() => collect(testClient(url).streamTurn(auth, "1", "x")));
    expect(isNemoError(error, "network")).toBe(true);
  });

  it("ends with turn_timeout after heartbeats alone for the silence limit", async () => {
    const s = await serve((_req, res) => {
      sse(res);
      res.write(textFrame("starting"));
      const beat = setInterval(() => res.write(": ping\n\n"), 10);
      res.on("close", () => clearInterval(beat));
    });
    const seen: TurnEvent[] = [];
    const error = await caught(async () => {
      for await (const event of testClient(s.url, { silentTimeoutMs: 150, turnTimeoutMs: 10_000 }).streamTurn(auth, "1", "x")) seen.push(event);
    });
    expect(isNemoError(error, "turn_timeout")).toBe(true);
    expect(seen[0]?.type).toBe("text");
    expect(seen.filter((e) => e.type === "heartbeat").length).toBeGreaterThan(0);
  });

  it("ends with turn_timeout at the hard limit even while the agent keeps talking", async () => {
    const s = await serve((_req, res) => {
      sse(res);
      const talk = setInterval(() => res.write(textFrame("still going", { partial: true })), 10);
      res.on("close", () => clearInterval(talk));
    });
    const error = await caught(() => collect(testClient(s.url, { silentTimeoutMs: 10_000, turnTimeoutMs: 150 }).streamTurn(auth, "1", "x")));
    expect(isNemoError(error, "turn_timeout")).toBe(true);
  });

  it("closes the connection when the caller aborts, throwing the caller's reason", async () => {
    let closed = false;
    const s = await serve((_req, res) => {
      sse(res);
      res.write(textFrame("hi"));
      res.on("close", () => {
        closed = true;
      });
    });
    const controller = new AbortController();
    const error = await caught(async () => {
      for await (const event of testClient(s.url).streamTurn(auth, "1", "x", { signal: controller.signal })) {
        if (event.type === "text") controller.abort(new Error("user pressed stop"));
      }
    });
    expect((error as Error).message).toBe("user pressed stop");
    await expect.poll(() => closed).toBe(true);
  });

  it("closes the connection when the consumer stops reading early", async () => {
    let closed = false;
    const s = await serve((_req, res) => {
      sse(res);
      res.write(textFrame("one"));
      res.on("close", () => {
        closed = true;
      });
    });
    for await (const event of testClient(s.url).streamTurn(auth, "1", "x")) {
      if (event.type === "text") break;
    }
    await expect.poll(() => closed).toBe(true);
  });
});
