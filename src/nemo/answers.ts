import { NemoError } from "../errors.js";
import type { AnonymousToken, CreatedSession, Credits, SessionState, UploadedFile, UploadResult } from "./types.js";
import { asBoolean, asRecord, pick, pickNumber, pickString, type JsonRecord } from "./lenient.js";

/**
 * The backend's snake_case answers (unwrapped) → the camelCase types of types.ts. Readers accept
 * both spellings; a field the caller cannot do without is a `bad_response` when missing.
 */

function recordOf(data: unknown, where: string): JsonRecord {
  const record = asRecord(data);
  if (!record) throw new NemoError("bad_response", `${where}: the answer is not an object`);
  return record;
}

function required(value: string | undefined, field: string, where: string): string {
  if (value === undefined || value === "") throw new NemoError("bad_response", `${where}: the answer has no ${field}`);
  return value;
}

export function readAnonymousToken(data: unknown): AnonymousToken {
  const where = "anonymous token";
  const r = recordOf(data, where);
  return {
    token: required(pickString(r, "token", "access_token", "accessToken"), "token", where),
    userId: pickString(r, "user_id", "userId") ?? "",
    expiresAt: pickString(r, "expires_at", "expiresAt") ?? "",
    credits: pickNumber(r, "credits") ?? 0,
  };
}

/**
 * Session ids are long numeric strings; a backend that sent one as a JSON number has lost digits
 * in JSON.parse, so the digits are recovered from the raw text when it is at hand.
 */
export function readCreatedSession(data: unknown, rawText?: string): CreatedSession {
  const where = "create session";
  const r = recordOf(data, where);
  let sessionId = pickString(r, "session_id", "sessionId");
  const rawId = pick(r, "session_id", "sessionId");
  if (typeof rawId === "number" && !Number.isSafeInteger(rawId) && rawText) {
    const match = /"session_?[iI]d"\s*:\s*(\d+)/.exec(rawText);
    if (match?.[1]) sessionId = match[1];
  }
  const session: CreatedSession = {
    taskId: pickString(r, "task_id", "taskId") ?? "",
    sessionId: required(sessionId, "session_id", where),
    userId: pickString(r, "user_id", "userId") ?? "",
  };
  const bindId = pickString(r, "bind_id", "bindId");
  if (bindId) session.bindId = bindId;
  return session;
}

export function readCredits(data: unknown): Credits {
  const r = recordOf(data, "credits");
  const available = pickNumber(r, "available", "balance", "available_credits", "availableCredits");
  if (available === undefined) throw new NemoError("bad_response", "credits: the answer has no available balance");
  const frozen = pickNumber(r, "frozen", "frozen_credits", "frozenCredits") ?? 0;
  return { available, frozen, total: pickNumber(r, "total", "total_credits", "totalCredits") ?? available + frozen };
}

/** One file as an upload answer lists it; the state's `video_infos` entries have the same shape. */
export function readUploadedFile(value: unknown): UploadedFile | undefined {
  const r = asRecord(value);
  if (!r) return undefined;
  const file: UploadedFile = {
    filename: pickString(r, "filename", "file_name", "fileName", "name") ?? "",
    fileType: pickString(r, "file_type", "fileType", "type") ?? "",
    cdnUrl: pickString(r, "cdn_url", "cdnUrl", "url") ?? "",
  };
  const duration = pickNumber(r, "duration");
  if (duration !== undefined) file.duration = duration;
  const width = pickNumber(r, "width");
  if (width !== undefined) file.width = width;
  const height = pickNumber(r, "height");
  if (height !== undefined) file.height = height;
  const fps = pickNumber(r, "fps");
  if (fps !== undefined) file.fps = fps;
  const hash = pickString(r, "hash");
  if (hash !== undefined) file.hash = hash;
  return file;
}

export function readUploadResult(data: unknown): UploadResult {
  const r = recordOf(data, "upload");
  const list = pick(r, "files", "uploaded", "items");
  const files = Array.isArray(list) ? list.map(readUploadedFile).filter((f): f is UploadedFile => f !== undefined) : [];
  return { files, sessionStateApplied: asBoolean(pick(r, "session_state_applied", "sessionStateApplied")) ?? false };
}

/** The draft may arrive as an object or (from some gateways) as JSON text. */
function readDraft(value: unknown): Record<string, unknown> | undefined {
  if (typeof value === "string") {
    try {
      return asRecord(JSON.parse(value));
    } catch {
      return undefined;
    }
  }
  return asRecord(value);
}

export function readSessionState(data: unknown, sessionId: string): SessionState {
  const r = recordOf(data, "state");
  const state = asRecord(r.state) ?? {};
  const videoInfos = pick(state, "video_infos", "videoInfos");
  const result: SessionState = {
    sessionId: pickString(r, "session_id", "sessionId") ?? sessionId,
    draft: readDraft(state.draft),
    videoInfos: Array.isArray(videoInfos) ? videoInfos : [],
    generatedMedia: pick(state, "generated_media", "generatedMedia"),
    canvasConfig: pick(state, "canvas_config", "canvasConfig"),
    raw: state,
  };
  const taskId = pickString(r, "task_id", "taskId");
  if (taskId !== undefined) result.taskId = taskId;
  const taskName = pickString(r, "task_name", "taskName");
  if (taskName !== undefined) result.taskName = taskName;
  return result;
}
