import type { ServerResponse } from "node:http";
import { planTurn } from "./agent.js";
import type { EmulatorContext, Handler } from "./context.js";
import { effectiveRatio, IMAGE_CLIP_MS, ratioDims, ratioFromSize, toShortKeys } from "./draft.js";
import { answerFault, requireUser, serverError, takeFault } from "./guard.js";
import { BodyError, bearerToken, envelope, isObject, readJson, sendJson } from "./http.js";
import type { SessionRecord } from "./store.js";
import { applyWithoutStream, runTurn, STREAM_FAULTS } from "./turn.js";
import type { FaultKind } from "./types.js";
import { describeUploads, receiveMultipart, receiveUrls, UploadRejected } from "./uploads.js";

/** The routes of one session: the message stream, uploads and the state. */

function messageText(body: Record<string, unknown>): string {
  const message = isObject(body.new_message) ? body.new_message : isObject(body.newMessage) ? body.newMessage : {};
  const parts = Array.isArray(message.parts) ? message.parts : [];
  return parts
    .map((p) => (isObject(p) && typeof p.text === "string" ? p.text : ""))
    .join("")
    .trim();
}

export const runSse: Handler = async (req, res, _params, ctx) => {
  let body: unknown;
  try {
    body = await readJson(req, 1024 * 1024);
  } catch (error) {
    if (error instanceof BodyError) return sendJson(req, res, 422, { detail: error.message });
    throw error;
  }
  if (!isObject(body) || typeof (body.session_id ?? body.sessionId) !== "string") {
    return sendJson(req, res, 422, { detail: [{ loc: ["body", "session_id"], msg: "field required", type: "value_error.missing" }] });
  }
  const sessionId = String(body.session_id ?? body.sessionId);
  const text = messageText(body);
  // Every call counts, whatever it is answered: the at-most-once tests read these.
  ctx.counters.recordMessage(sessionId, text);

  const fault = takeFault(ctx, "run-sse", sessionId, ["session-lost", "no-credits", "token-expired-in-stream", "says-export", "gateway-error-after-edit", "hang-after-edit", ...STREAM_FAULTS]);
  const caller = ctx.store.authenticate(bearerToken(req));
  if (fault && (await answerFault(req, res, fault, "run-sse", caller?.bindId))) return;
  const owner = await requireUser(req, res, ctx);
  if (!owner) return;
  const session = ctx.store.sessionOf(owner, sessionId);
  if (!session) return sendJson(req, res, 404, { detail: "Session not found" });
  session.messages.push(text);
  if (owner.available <= 0) return sendJson(req, res, 200, envelope(2001, "insufficient credits", { bind_id: owner.bindId }));

  const planned = planTurn(session, text, { cdnBase: ctx.baseUrl, canRender: ctx.ffmpeg, canDrawText: ctx.fontPath !== undefined });
  const deps = { timing: ctx.timing, logger: ctx.logger, signal: ctx.signal, sessionExists: (id: string) => ctx.store.sessions.has(id) };
  if (fault?.kind === "gateway-error-after-edit" || fault?.kind === "hang-after-edit") {
    return applyWithoutStream(req, res, session, owner, planned, fault.kind === "hang-after-edit" ? "hang" : (fault.status ?? 504), deps);
  }
  // Some answers tell the user to export right away rather than "when you're happy".
  const plan = fault?.kind === "says-export" ? { ...planned, apply: (s: typeof session) => `${planned.apply(s)} Now click the Export button to render it.` } : planned;
  ctx.openStreams.count += 1;
  try {
    await runTurn(req, res, session, owner, plan, fault?.kind as Parameters<typeof runTurn>[5], deps);
  } finally {
    ctx.openStreams.count -= 1;
  }
};

const UPLOAD_FAULTS: readonly FaultKind[] = ["session-lost", "unsupported-file", "file-too-large", "hang-after-upload", "gateway-error-after-upload"];

export const upload: Handler = async (req, res, params, ctx) => {
  const sessionId = params[0]!;
  const fault = takeFault(ctx, "upload", sessionId, UPLOAD_FAULTS);
  if (fault && (await answerFault(req, res, fault, "upload"))) return;
  const user = await requireUser(req, res, ctx);
  if (!user) return;
  const session = ctx.store.sessionOf(user, sessionId);
  if (!session) return sendJson(req, res, 200, envelope(1002, "session not found"));

  try {
    const isJson = /application\/json/i.test(req.headers["content-type"] ?? "");
    let received;
    if (isJson) {
      const body = await readJson(req, 1024 * 1024);
      const urls = isObject(body) && Array.isArray(body.urls) ? body.urls.filter((u): u is string => typeof u === "string") : [];
      if (urls.length === 0) return sendJson(req, res, 422, { detail: "urls must be a non-empty list" });
      received = await receiveUrls(urls, ctx.uploads);
    } else {
      received = await receiveMultipart(req, ctx.uploads);
    }
    const files = await describeUploads(received, ctx.uploads);
    for (const file of files) {
      ctx.store.files.set(file.fileId, file);
      session.uploads.push(file);
      addToDraft(session, file);
    }
    // The files are in the project whatever the client hears now.
    if (fault?.kind === "hang-after-upload") return hangUntilGone(res, ctx);
    if (fault?.kind === "gateway-error-after-upload") return serverError(req, res, fault.status ?? 504);
    return sendJson(
      req,
      res,
      200,
      envelope(0, "success", {
        files: files.map((f) => ({
          filename: f.filename,
          file_type: f.fileType,
          cdn_url: f.cdnUrl,
          duration: f.duration,
          width: f.width,
          height: f.height,
          fps: f.fps,
          hash: f.hash,
        })),
        session_state_applied: true,
      }),
    );
  } catch (error) {
    if (error instanceof UploadRejected) {
      if (error.code === 400) return sendJson(req, res, 400, { detail: error.message });
      return sendJson(req, res, 200, envelope(error.code, error.message));
    }
    if (error instanceof BodyError) return sendJson(req, res, 422, { detail: error.message });
    ctx.logger.warn({ err: error, sessionId }, "emulator upload failed");
    return sendJson(req, res, 400, { detail: "malformed upload" });
  }
};

/** No answer, not even headers, until the client goes away (or the emulator closes), then a 504 if anyone still listens. */
async function hangUntilGone(res: ServerResponse, ctx: EmulatorContext): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ctx.timing.heartbeatOnlyMs);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    res.once("close", done);
    ctx.signal.addEventListener("abort", done, { once: true });
  });
  if (!res.destroyed && !res.headersSent) res.writeHead(504).end();
}

/** An upload lands on the timeline: a clip or image on the video track, audio on the music track. */
function addToDraft(session: SessionRecord, file: Awaited<ReturnType<typeof describeUploads>>[number]): void {
  const draft = session.draft;
  if (file.fileType === "audio") {
    draft.music = { id: `aud_${file.fileId}`, name: file.filename, src: file.cdnUrl, volume: 1 };
    return;
  }
  const sourceMs = file.fileType === "image" ? undefined : Math.max(100, Math.round(file.duration * 1000));
  draft.clips.push({
    id: `seg_${file.fileId}`,
    name: file.filename,
    kind: file.fileType,
    usedMs: sourceMs ?? IMAGE_CLIP_MS,
    ...(sourceMs !== undefined ? { sourceMs } : {}),
    sourceOffsetMs: 0,
    src: file.cdnUrl,
    speed: 1,
    muted: false,
  });
  if (!draft.naturalRatio && file.width > 0 && file.height > 0) {
    draft.naturalRatio = ratioFromSize(file.width, file.height);
  }
}

export const state: Handler = async (req, res, params, ctx) => {
  const sessionId = params[0]!;
  const fault = takeFault(ctx, "state", sessionId, ["session-lost"]);
  if (fault && (await answerFault(req, res, fault, "state"))) return;
  const user = await requireUser(req, res, ctx);
  if (!user) return;
  const session = ctx.store.sessionOf(user, sessionId);
  if (!session) return sendJson(req, res, 200, envelope(1002, "session not found"));
  return sendJson(req, res, 200, envelope(0, "success", stateData(session, user.bindId)));
};

export function stateData(session: SessionRecord, bindId: string): Record<string, unknown> {
  const ratio = effectiveRatio(session.draft);
  return {
    session_id: session.id,
    task_id: session.taskId,
    task_name: session.taskName,
    bind_id: bindId,
    state: {
      draft: toShortKeys(session.draft, session.language),
      video_infos: session.uploads.map((u) => ({
        filename: u.filename,
        file_type: u.fileType,
        cdn_url: u.cdnUrl,
        duration: u.duration,
        width: u.width,
        height: u.height,
        fps: u.fps,
      })),
      generated_media: session.generated.map((g) => ({ id: g.id, type: "video", prompt: g.prompt, url: g.url, duration: g.duration })),
      canvas_config: { ...ratioDims(ratio), ratio },
    },
  };
}
