import type { Handler } from "./context.js";
import { parseFault } from "./faults.js";
import { BodyError, isObject, readJson, sendJson } from "./http.js";
import { sessionView } from "./view.js";

/**
 * `/__emulator/*`: control for other processes (benchmarks, multi-process tests). No auth: the
 * emulator listens on loopback only and is never the real backend.
 */

export const health: Handler = (req, res, _params, ctx) =>
  sendJson(req, res, 200, {
    ok: true,
    emulator: true,
    name: "NemoVideo emulator (not the real NemoVideo backend)",
    ffmpeg: ctx.ffmpeg,
    uptimeMs: Date.now() - ctx.startedAt,
    openStreams: ctx.openStreams.count,
    sessions: ctx.store.sessions.size,
  });

export const addFaults: Handler = async (req, res, _params, ctx) => {
  try {
    const body = await readJson(req, 256 * 1024);
    const faults = (Array.isArray(body) ? body : [body]).map(parseFault);
    for (const fault of faults) ctx.faults.add(fault);
    return sendJson(req, res, 200, { ok: true, pending: ctx.faults.pending() });
  } catch (error) {
    const message = error instanceof BodyError || error instanceof Error ? error.message : "bad fault";
    return sendJson(req, res, 400, { ok: false, error: message });
  }
};

export const listFaults: Handler = (req, res, _params, ctx) => sendJson(req, res, 200, { ok: true, pending: ctx.faults.pending() });

export const clearFaults: Handler = (req, res, _params, ctx) => {
  ctx.faults.clear();
  return sendJson(req, res, 200, { ok: true });
};

export const counters: Handler = (req, res, _params, ctx) => sendJson(req, res, 200, ctx.counters.snapshot());

export const resetCounters: Handler = (req, res, _params, ctx) => {
  ctx.counters.reset();
  return sendJson(req, res, 200, { ok: true });
};

async function field(req: Parameters<Handler>[0], name: string): Promise<string | undefined> {
  try {
    const body = await readJson(req, 64 * 1024);
    return isObject(body) && typeof body[name] === "string" ? body[name] : undefined;
  } catch {
    return undefined;
  }
}

export const expireToken: Handler = async (req, res, _params, ctx) => {
  const token = await field(req, "token");
  if (!token) return sendJson(req, res, 400, { ok: false, error: "token is required" });
  ctx.store.expireToken(token);
  return sendJson(req, res, 200, { ok: true });
};

export const dropSession: Handler = async (req, res, _params, ctx) => {
  const sessionId = await field(req, "sessionId");
  if (!sessionId) return sendJson(req, res, 400, { ok: false, error: "sessionId is required" });
  ctx.store.dropSession(sessionId);
  return sendJson(req, res, 200, { ok: true });
};

export const viewSession: Handler = (req, res, params, ctx) => {
  const session = ctx.store.sessions.get(params[0]!);
  if (!session) return sendJson(req, res, 404, { ok: false, error: "no such session" });
  return sendJson(req, res, 200, sessionView(session));
};
