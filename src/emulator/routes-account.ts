import type { Handler } from "./context.js";
import { answerFault, requireUser, takeFault } from "./guard.js";
import { BodyError, clientIp, envelope, header, isObject, readJson, sendJson } from "./http.js";

/** Anonymous tokens, sessions and credits. */

export const anonymousToken: Handler = async (req, res, _params, ctx) => {
  const fault = takeFault(ctx, "anonymous-token", undefined, ["anonymous-limit"]);
  if (fault && (await answerFault(req, res, fault, "anonymous-token"))) return;
  const clientId = header(req, "x-client-id")?.trim();
  if (!clientId) return sendJson(req, res, 400, envelope(400, "missing X-Client-Id header"));
  const result = ctx.store.anonymousToken(clientId, clientIp(req), false);
  if (!result.ok) return sendJson(req, res, 429, envelope(429, "anonymous token limit reached for this IP"));
  if (result.issued) ctx.counters.recordToken();
  return sendJson(
    req,
    res,
    200,
    envelope(0, "success", {
      token: result.token,
      user_id: result.user.id,
      expires_at: new Date(result.expiresAt).toISOString(),
      credits: result.user.available,
    }),
  );
};

export const createSession: Handler = async (req, res, _params, ctx) => {
  let body: unknown;
  try {
    body = await readJson(req, 64 * 1024);
  } catch (error) {
    if (error instanceof BodyError) return sendJson(req, res, 422, { detail: error.message });
    throw error;
  }
  const fault = takeFault(ctx, "create-session", undefined);
  if (fault && (await answerFault(req, res, fault, "create-session"))) return;
  const user = await requireUser(req, res, ctx);
  if (!user) return;
  const fields = isObject(body) ? body : {};
  const language = typeof fields.language === "string" && fields.language.trim() ? fields.language.trim() : "en";
  const taskName = typeof fields.task_name === "string" && fields.task_name.trim() ? fields.task_name.trim() : "project";
  const session = ctx.store.createSession(user.id, taskName, language);
  ctx.counters.recordSession();
  return sendJson(
    req,
    res,
    200,
    envelope(0, "success", { task_id: session.taskId, session_id: session.id, user_id: user.id, bind_id: user.bindId }),
  );
};

export const credits: Handler = async (req, res, _params, ctx) => {
  const fault = takeFault(ctx, "credits", undefined);
  if (fault && (await answerFault(req, res, fault, "credits"))) return;
  const user = await requireUser(req, res, ctx);
  if (!user) return;
  return sendJson(req, res, 200, envelope(0, "success", { available: user.available, frozen: user.frozen, total: user.available + user.frozen }));
};
