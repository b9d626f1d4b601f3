import type { IncomingMessage, ServerResponse } from "node:http";
import type { EmulatorContext } from "./context.js";
import { bearerToken, drain, EMULATOR_HEADER, envelope, sendJson } from "./http.js";
import type { UserRecord } from "./store.js";
import type { Fault, FaultKind, RouteName } from "./types.js";

/**
 * The checks every backend route shares: the next queued fault, then the bearer token.
 *
 * An unknown or expired token answers HTTP 200 with the envelope code 1001: the skills treat 1001 as
 * an envelope code like 1002 and 2001, so the gateway most plausibly answers it inside the envelope
 * rather than with 401. Clients should accept a 401 too.
 */

/** Kinds every route can suffer. */
const COMMON: readonly FaultKind[] = ["token-expired", "rate-limit", "server-error"];

export function takeFault(ctx: EmulatorContext, route: RouteName, sessionId: string | undefined, kinds: readonly FaultKind[] = []): Fault | undefined {
  return ctx.faults.take(route, sessionId, [...COMMON, ...kinds]);
}

/**
 * Answers the faults that are a plain error response; true when it did. Faults that shape the work
 * itself (a silent turn, a failing render) are left to the route.
 */
export async function answerFault(req: IncomingMessage, res: ServerResponse, fault: Fault, route: RouteName, bindId?: string): Promise<boolean> {
  switch (fault.kind) {
    case "token-expired":
      await sendJson(req, res, 200, envelope(1001, "token expired"));
      return true;
    case "token-expired-in-stream":
      // The stream opened, then the envelope as its first frame: the message never reached the agent.
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      res.end(`data: ${JSON.stringify(envelope(1001, "token expired"))}\n\n`);
      return true;
    case "session-lost":
      if (route === "run-sse") await sendJson(req, res, 404, { detail: "Session not found" });
      else await sendJson(req, res, 200, envelope(1002, "session not found"));
      return true;
    case "no-credits":
      await sendJson(req, res, 200, envelope(2001, "insufficient credits", { bind_id: bindId ?? "bind_unknown" }));
      return true;
    case "unsupported-file":
      await sendJson(req, res, 200, envelope(4001, "unsupported file type"));
      return true;
    case "file-too-large":
      await sendJson(req, res, 200, envelope(4002, "file too large"));
      return true;
    case "export-blocked":
      await sendJson(req, res, 402, envelope(402, "export is not available on the free plan: register or upgrade your plan"));
      return true;
    case "rate-limit":
      await drain(req);
      res.setHeader("retry-after", "30");
      await sendJson(req, res, 429, envelope(429, "too many requests"));
      return true;
    case "anonymous-limit":
      await sendJson(req, res, 429, envelope(429, "anonymous token limit reached for this IP"));
      return true;
    case "server-error":
      await serverError(req, res, fault.status ?? 500);
      return true;
    default:
      return false;
  }
}

const GATEWAY_PAGES: Record<number, string> = {
  502: "<html><body><h1>502 Bad Gateway</h1></body></html>",
  504: "<html><head><title>504 Gateway Time-out</title></head><body><center><h1>504 Gateway Time-out</h1></center></body></html>",
};

/** 500 from the app (JSON), 502/504 pages and a 503 text from the gateway in front of it, as in production. */
export async function serverError(req: IncomingMessage, res: ServerResponse, status: number): Promise<void> {
  if (status === 500) return sendJson(req, res, 500, { detail: "Internal Server Error" });
  await drain(req);
  const page = GATEWAY_PAGES[status];
  const text = page ?? "Service Temporarily Unavailable";
  res.writeHead(status, {
    "content-type": page === undefined ? "text/plain" : "text/html",
    "content-length": Buffer.byteLength(text),
    [EMULATOR_HEADER[0]]: EMULATOR_HEADER[1],
  });
  res.end(text);
}

/** The user behind the bearer token, or answers 1001 and returns undefined. */
export async function requireUser(req: IncomingMessage, res: ServerResponse, ctx: EmulatorContext): Promise<UserRecord | undefined> {
  const user = ctx.store.authenticate(bearerToken(req));
  if (!user) await sendJson(req, res, 200, envelope(1001, "token expired"));
  return user;
}
