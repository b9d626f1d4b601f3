import { createReadStream } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { EmulatorContext, Handler } from "./context.js";
import { toShortKeys } from "./draft.js";
import { answerFault, requireUser, takeFault } from "./guard.js";
import { BodyError, EMULATOR_HEADER, envelope, header, isObject, readJson, sendJson } from "./http.js";
import { draftHasSegments, planRender } from "./render-plan.js";
import { statusBody, type RenderRecord } from "./renders.js";
import { TINY_MP4 } from "./tiny-mp4.js";
import type { EmulatedUpload, FaultKind } from "./types.js";

/** Export: start, status in two shapes, cancel, and the MP4 by the API or the CDN link. */

function outputUrl(ctx: EmulatorContext, id: string): string {
  return `${ctx.baseUrl}/cdn/renders/${encodeURIComponent(id)}.mp4`;
}

/** Maps a CDN URL the emulator handed out back to its uploaded file. */
function lookupUpload(ctx: EmulatorContext, src: string): EmulatedUpload | undefined {
  const match = /\/cdn\/u\/([0-9a-f]+)\//.exec(src);
  return match ? ctx.store.files.get(match[1]!) : undefined;
}

export const renderStart: Handler = async (req, res, _params, ctx) => {
  let body: unknown;
  try {
    body = await readJson(req);
  } catch (error) {
    if (error instanceof BodyError) return sendJson(req, res, 422, { detail: error.message });
    throw error;
  }
  const fields = isObject(body) ? body : {};
  const sessionId = typeof (fields.sessionId ?? fields.session_id) === "string" ? String(fields.sessionId ?? fields.session_id) : undefined;
  const fault = takeFault(ctx, "render-start", sessionId, ["session-lost", "export-blocked", "slow-render", "render-fails"]);
  if (fault && (await answerFault(req, res, fault, "render-start"))) return;
  const user = await requireUser(req, res, ctx);
  if (!user) return;
  // The real backend refuses exports it cannot attribute to a skill, with 402 like a plan limit.
  if (!header(req, "x-skill-source") || !header(req, "x-skill-version") || !header(req, "x-skill-platform")) {
    return sendJson(req, res, 402, envelope(402, "export is not available on the free plan: register or upgrade your plan"));
  }
  const id = typeof fields.id === "string" ? fields.id.trim() : "";
  if (!id) return sendJson(req, res, 422, { detail: "id is required" });
  if (ctx.renders.has(id)) return sendJson(req, res, 409, envelope(409, "render id already used: a new render needs a new id"));
  const session = ctx.store.sessionOf(user, sessionId);
  if (!session) return sendJson(req, res, 200, envelope(1002, "session not found"));
  const draft = draftHasSegments(fields.draft) ? (fields.draft as Record<string, unknown>) : toShortKeys(session.draft, session.language);
  if (!draftHasSegments(draft)) return sendJson(req, res, 422, { detail: "the draft has no segments to render" });

  const plan = planRender(draft, (src) => lookupUpload(ctx, src));
  ctx.renders.start({
    id,
    userId: user.id,
    sessionId: session.id,
    durationMs: ctx.timing.renderMs * (fault?.kind === "slow-render" ? 10 : 1),
    fails: fault?.kind === "render-fails",
    plan,
  });
  ctx.counters.recordRender(id);
  return sendJson(req, res, 200, { id, status: "pending", progress: 5 });
};

/** The render of the caller's user, or answers 404. */
async function ownedRender(req: IncomingMessage, res: ServerResponse, ctx: EmulatorContext, id: string): Promise<RenderRecord | undefined> {
  const user = await requireUser(req, res, ctx);
  if (!user) return undefined;
  const record = ctx.renders.get(id);
  if (!record || record.userId !== user.id) {
    await sendJson(req, res, 404, { success: false, code: 404, message: "render not found" });
    return undefined;
  }
  return record;
}

export const renderStatus: Handler = async (req, res, params, ctx) => {
  const id = decodeURIComponent(params[0]!);
  const fault = takeFault(ctx, "render-status", ctx.renders.get(id)?.sessionId, ["output-url"]);
  if (fault && (await answerFault(req, res, fault, "render-status"))) return;
  const record = await ownedRender(req, res, ctx, id);
  if (!record) return;
  const url = fault?.kind === "output-url" && fault.url !== undefined ? fault.url : outputUrl(ctx, id);
  return sendJson(req, res, 200, statusBody(record, ctx.renders.view(record), url));
};

export const renderCancel: Handler = async (req, res, params, ctx) => {
  const id = decodeURIComponent(params[0]!);
  const fault = takeFault(ctx, "render-cancel", ctx.renders.get(id)?.sessionId);
  if (fault && (await answerFault(req, res, fault, "render-cancel"))) return;
  const record = await ownedRender(req, res, ctx, id);
  if (!record) return;
  ctx.renders.cancel(record);
  return sendJson(req, res, 200, envelope(0, "success", { id, cancelled: record.cancelled, status: ctx.renders.view(record).status }));
};

export const renderDownload: Handler = async (req, res, params, ctx) => {
  const id = decodeURIComponent(params[0]!);
  const fault = takeFault(ctx, "download", ctx.renders.get(id)?.sessionId);
  if (fault && (await answerFault(req, res, fault, "download"))) return;
  const record = await ownedRender(req, res, ctx, id);
  if (!record) return;
  return sendRenderFile(req, res, ctx, record);
};

/** The output URL: no auth, like a CDN link. */
export const cdnRender: Handler = async (req, res, params, ctx) => {
  const id = decodeURIComponent(params[0]!);
  const record = ctx.renders.get(id);
  const fault = ctx.faults.take("download", record?.sessionId, ["rate-limit", "server-error"]);
  if (fault && (await answerFault(req, res, fault, "download"))) return;
  if (!record) return sendJson(req, res, 404, { detail: "Not Found" });
  return sendRenderFile(req, res, ctx, record);
};

async function sendRenderFile(req: IncomingMessage, res: ServerResponse, ctx: EmulatorContext, record: RenderRecord): Promise<void> {
  const view = ctx.renders.view(record);
  if (view.status !== "completed" || !record.video) {
    return sendJson(req, res, 409, envelope(409, `render is ${view.status}, not completed`));
  }
  // Taken only when there are bytes to cut: a fault aimed at a render still processing waits for them.
  const cut = ctx.faults.take("download", record.sessionId, ["download-reset", "download-truncated"]);
  const etag = `"${record.id}-${record.video.size}"`;
  return sendFile(req, res, record.video.path, record.video.size, "video/mp4", `${record.id}.mp4`, { etag, ...(cut ? { cut: cut.kind } : {}) });
}

/** Uploaded files, served back at their cdn_url. */
export const cdnUpload: Handler = async (req, res, params, ctx) => {
  const file = ctx.store.files.get(params[0]!);
  if (!file?.path) return sendJson(req, res, 404, { detail: "Not Found" });
  return sendFile(req, res, file.path, file.size, contentTypeOf(file.filename), file.filename);
};

/** "Generated" media: the emulator generates nothing, so every generated clip is the same tiny MP4. */
export const cdnGenerated: Handler = (req, res) => {
  res.writeHead(200, { "content-type": "video/mp4", "content-length": TINY_MP4.length, [EMULATOR_HEADER[0]]: EMULATOR_HEADER[1] });
  res.end(req.method === "HEAD" ? undefined : TINY_MP4);
  return Promise.resolve();
};

function contentTypeOf(name: string): string {
  const ext = name.toLowerCase().split(".").pop() ?? "";
  const types: Record<string, string> = {
    mp4: "video/mp4", mov: "video/quicktime", webm: "video/webm", mkv: "video/x-matroska", avi: "video/x-msvideo",
    jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", gif: "image/gif", webp: "image/webp",
    mp3: "audio/mpeg", wav: "audio/wav", m4a: "audio/mp4", aac: "audio/aac",
  };
  return types[ext] ?? "application/octet-stream";
}

interface SendOptions {
  etag?: string;
  /** Fault: stop halfway through the bytes, by a reset or by closing the connection. */
  cut?: FaultKind;
}

/** `Range: bytes=a-b` (one range; `If-Range` honoured), as a CDN serves it; undefined: the whole file. */
function rangeOf(req: IncomingMessage, size: number, etag: string | undefined): { start: number; end: number } | "unsatisfiable" | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header(req, "range")?.trim() ?? "");
  if (!match || (match[1] === "" && match[2] === "")) return undefined;
  const ifRange = header(req, "if-range");
  if (ifRange !== undefined && ifRange !== etag) return undefined;
  let start: number;
  let end: number;
  if (match[1] === "") {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === "" ? size - 1 : Math.min(size - 1, Number(match[2]));
  }
  if (start >= size || start > end) return "unsatisfiable";
  return { start, end };
}

function sendFile(req: IncomingMessage, res: ServerResponse, path: string, size: number, type: string, name: string, options: SendOptions = {}): Promise<void> {
  const range = rangeOf(req, size, options.etag);
  const common = {
    "accept-ranges": "bytes",
    ...(options.etag ? { etag: options.etag } : {}),
    [EMULATOR_HEADER[0]]: EMULATOR_HEADER[1],
  };
  if (range === "unsatisfiable") {
    res.writeHead(416, { ...common, "content-range": `bytes */${size}`, "content-length": 0 });
    res.end();
    return Promise.resolve();
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? size - 1;
  res.writeHead(range ? 206 : 200, {
    ...common,
    "content-type": type,
    "content-length": end - start + 1,
    ...(range ? { "content-range": `bytes ${start}-${end}/${size}` } : {}),
    "content-disposition": `attachment; filename="${name.replace(/[^\x20-\x7e]|["\\]/g, "_")}"`,
  });
  if (req.method === "HEAD" || size === 0) {
    res.end();
    return Promise.resolve();
  }
  // A cut answer stops halfway: the client has some bytes and a Content-Length it will not reach.
  const cutAt = options.cut ? start + Math.max(1, Math.floor((end - start + 1) / 2)) - 1 : end;
  return new Promise((resolve) => {
    const stream = createReadStream(path, { start, end: cutAt });
    stream.once("error", () => {
      res.destroy();
      resolve();
    });
    res.once("close", () => {
      stream.destroy();
      resolve();
    });
    if (!options.cut) {
      stream.pipe(res);
      return;
    }
    stream.pipe(res, { end: false });
    stream.once("end", () => {
      const socket = res.socket;
      if (!socket) return res.destroy();
      // Let the half written reach the client, then break off: RST, or an orderly close (FIN).
      const breakOff = () =>
        setImmediate(() => {
          if (options.cut === "download-reset") socket.resetAndDestroy();
          else socket.end();
        });
      if (socket.writableLength === 0) breakOff();
      else socket.once("drain", breakOff);
    });
  });
}
