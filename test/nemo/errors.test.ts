import { describe, expect, it } from "vitest";
import { isNemoError, type NemoError } from "../../src/errors.js";
import { caught, sendJson, testClient, type LocalServer, useLocalServers } from "./local-server.js";

const token = "nmv_usr_topsecret_token_value";
const auth = { token };
const serve = useLocalServers();

/** A server that answers every request with this status and body, echoing the token back like a careless gateway. */
async function answering(status: number, body: unknown): Promise<LocalServer> {
  return serve((req, res) => {
    const echoed = JSON.stringify(body).replace("$AUTH", String(req.headers.authorization));
    res.writeHead(status, { "content-type": "application/json" });
    res.end(echoed);
  });
}

describe("errors of plain calls", () => {
  const cases: { status: number; body: unknown; code: string }[] = [
    { status: 200, body: { code: 1001, message: "token $AUTH expired", data: null }, code: "token_invalid" },
    { status: 200, body: { code: 1002, message: "session not found", data: null }, code: "session_not_found" },
    { status: 404, body: { detail: "Session not found" }, code: "session_not_found" },
    { status: 200, body: { code: 2001, message: "insufficient credits", data: { bind_id: "bind-7" } }, code: "no_credits" },
    { status: 200, body: { code: 4001, message: "unsupported file", data: null }, code: "unsupported_file" },
    { status: 200, body: { code: 4002, message: "file too large", data: null }, code: "file_too_large" },
    { status: 402, body: { detail: "Free plan export blocked for $AUTH" }, code: "plan_blocked" },
    { status: 429, body: { detail: "Too Many Requests" }, code: "rate_limited" },
    { status: 500, body: { detail: "Internal Server Error" }, code: "server" },
    { status: 503, body: { detail: "unavailable" }, code: "server" },
    { status: 422, body: { detail: [{ msg: "field required" }] }, code: "bad_request" },
    { status: 409, body: { detail: "conflict" }, code: "bad_request" },
  ];

  for (const { status, body, code } of cases) {
    it(`HTTP ${status} ${JSON.stringify(body).slice(0, 40)} → ${code}, without the token in the message`, async () => {
      const s = await answering(status, body);
      const error = await caught(() => testClient(s.url).credits(auth));
      expect(isNemoError(error)).toBe(true);
      expect((error as NemoError).code).toBe(code);
      expect((error as NemoError).message).not.toContain(token);
      expect(String((error as NemoError).stack)).not.toContain(token);
      if (code === "no_credits") expect((error as NemoError).bindId).toBe("bind-7");
    });
  }

  it("retries a 429 once after the configured wait, then succeeds", async () => {
    let calls = 0;
    const s = await serve((_req, res) => {
      calls += 1;
      if (calls === 1) sendJson(res, 429, { detail: "slow down" });
      else sendJson(res, 200, { code: 0, message: "ok", data: { available: 10, frozen: 0, total: 10 } });
    });
    expect(await testClient(s.url, { retryAfter429Ms: 5 }).credits(auth)).toEqual({ available: 10, frozen: 0, total: 10 });
    expect(s.requests.length).toBe(2);
  });

  it("gives up after the one retry when 429 persists", async () => {
    const s = await answering(429, { detail: "slow down" });
    const error = await caught(() => testClient(s.url).credits(auth));
    expect(isNemoError(error, "rate_limited")).toBe(true);
    expect(s.requests.length).toBe(2);
  });

  it("retries nothing else: a 500 is one request", async () => {
    const s = await answering(500, { detail: "oops" });
    await caught(() => testClient(s.url).credits(auth));
    expect(s.requests.length).toBe(1);
  });

  it("reads the anonymous-token call's 400 as missing_client_id and a persisting 429 as anonymous_limit", async () => {
    const s = await serve((req, res) => {
      if (!req.headers["x-client-id"]) sendJson(res, 400, { detail: "X-Client-Id header required" });
      else sendJson(res, 429, { detail: "anonymous token limit" });
    });
    const client = testClient(s.url);
    expect(isNemoError(await caught(() => client.anonymousToken("")), "missing_client_id")).toBe(true);
    expect(isNemoError(await caught(() => client.anonymousToken("c1")), "anonymous_limit")).toBe(true);
    // The anonymous call carries X-Client-Id and no Authorization.
    const last = s.requests.at(-1)!;
    expect(last.headers["x-client-id"]).toBe("c1");
    expect(last.headers.authorization).toBeUndefined();
    expect(last.headers["x-skill-source"]).toBe("nemo-video");
  });

  it("reports an unreadable 200 as bad_response", async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>gateway</html>");
    });
    expect(isNemoError(await caught(() => testClient(s.url).credits(auth)), "bad_response")).toBe(true);
  });

  it("reports its own timeout as timeout", async () => {
    const s = await serve(() => {
      /* never answers */
    });
    const error = await caught(() => testClient(s.url, { requestTimeoutMs: 100 }).credits(auth));
    expect(isNemoError(error, "timeout")).toBe(true);
  });

  it("reports a refused connection as network, without the token", async () => {
    const s = await answering(200, {});
    const url = s.url;
    await s.close();
    const error = await caught(() => testClient(url).credits(auth));
    expect(isNemoError(error, "network")).toBe(true);
    expect((error as Error).message).not.toContain(token);
  });

  it("reports a socket destroyed before the answer as network", async () => {
    const s = await serve((_req, res) => {
      res.socket?.destroy();
    });
    expect(isNemoError(await caught(() => testClient(s.url).state(auth, "1")), "network")).toBe(true);
  });
});
