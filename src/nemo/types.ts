import type { Readable } from "node:stream";

/** Data types of the NemoVideo contract (docs/backend-contract.md), as the client returns them. */

export interface AnonymousToken {
  token: string;
  userId: string;
  /** ISO time; the token is renewed with the same client id after it. */
  expiresAt: string;
  credits: number;
}

export interface CreatedSession {
  taskId: string;
  sessionId: string;
  userId: string;
  /** Some answers carry the id the registration link binds to. */
  bindId?: string;
}

export interface Credits {
  available: number;
  frozen: number;
  total: number;
}

export interface UploadedFile {
  filename: string;
  fileType: string;
  cdnUrl: string;
  duration?: number;
  width?: number;
  height?: number;
  fps?: number;
  hash?: string;
}

export interface UploadResult {
  files: UploadedFile[];
  sessionStateApplied: boolean;
}

/** One part of a multipart upload, streamed. */
export interface UploadSource {
  fileName: string;
  /** Opened when the request is built (so a retry can open it again). */
  open: () => Readable | Promise<Readable>;
  /** Bytes, when known (sent as the part's length where the server wants it). */
  size?: number;
  contentType?: string;
}

/** The short-key draft, kept as the backend sent it: read leniently, passed back to export unchanged. */
export type Draft = Record<string, unknown>;

export interface SessionState {
  sessionId: string;
  taskId?: string;
  taskName?: string;
  draft: Draft | undefined;
  videoInfos: unknown[];
  generatedMedia: unknown;
  canvasConfig: unknown;
  /** Whatever else the state held, untouched. */
  raw: Record<string, unknown>;
}

export type RenderState = "pending" | "processing" | "completed" | "failed";

/** A render's status, whichever of the two answer shapes it came in. */
export interface RenderStatus {
  id: string;
  status: RenderState;
  /** 0..100 */
  progress: number;
  outputUrl?: string;
  duration?: number;
  size?: number;
  error?: string;
}

export interface RenderRequest {
  /** `render_<unique>`, chosen and stored by the caller before the request. */
  id: string;
  sessionId: string;
  draft: Draft;
  output?: { format: "mp4"; quality: "high" | "medium" | "low" };
}

/**
 * What one `/run_sse` turn says, event by event. The stream closing is the end.
 *
 * Text and `partial` (ADK's streaming flag): a streamed reply arrives as `partial: true` chunks, each
 * a new piece to APPEND to a live preview, and then once more, whole, as one `partial: false` event.
 * Consumers keep the partial chunks since the last non-partial text only as a preview; when a
 * non-partial text comes, it REPLACES that preview (appending it would show the reply twice), and the
 * preview starts empty again. Non-partial texts are separate messages: a turn may send one before
 * and one after its tool calls. A stream that closes with only partial chunks (a drop) keeps them.
 */
export type TurnEvent =
  | { type: "text"; text: string; partial: boolean; author?: string }
  | { type: "tool-call"; name: string; id?: string }
  | { type: "tool-result"; name: string; id?: string }
  | { type: "heartbeat" }
  | { type: "error"; code?: string; message: string }
  /**
   * The model stopped for another reason than STOP (ADK puts Gemini's finish reason, `MAX_TOKENS`,
   * `SAFETY`, …, in `errorCode`). Not a failure by itself: the event's text (before it) came whole
   * and the turn's tools have run; the reply is only cut short.
   */
  | { type: "cut-short"; reason: string; message?: string }
  | { type: "invalid"; raw: string };

/** Told an open turn's events as they arrive, then its end, once. */
export interface TurnListener {
  onEvent(event: TurnEvent): void;
  /** undefined: the backend closed the stream; else why it broke off (a NemoError, or an abort's reason). */
  onEnd(error: unknown): void;
}

/** A turn whose message the backend took: its stream, read once `listen` is called. */
export interface OpenTurn {
  listen(listener: TurnListener): void;
  /** Closes the connection; the listener is told the end with `reason` (unless it ended already). */
  abort(reason: unknown): void;
}

export interface TurnOptions {
  signal?: AbortSignal;
}

/** Per-request credentials: each chat user has a token of their own. */
export interface NemoAuth {
  token: string;
}

/** The client's face; `NemoClient` in client.ts implements it. */
export interface NemoApi {
  anonymousToken(clientId: string): Promise<AnonymousToken>;
  createSession(auth: NemoAuth, options: { language: string }): Promise<CreatedSession>;
  streamTurn(auth: NemoAuth, sessionId: string, text: string, options?: TurnOptions): AsyncIterable<TurnEvent>;
  /** The same turn, resolved once its stream is open (errors before it reject): see turn-stream.ts. */
  openTurn(auth: NemoAuth, sessionId: string, text: string, options?: TurnOptions): Promise<OpenTurn>;
  uploadFiles(auth: NemoAuth, sessionId: string, files: UploadSource[], options?: { signal?: AbortSignal }): Promise<UploadResult>;
  uploadUrls(auth: NemoAuth, sessionId: string, urls: string[]): Promise<UploadResult>;
  credits(auth: NemoAuth): Promise<Credits>;
  state(auth: NemoAuth, sessionId: string): Promise<SessionState>;
  startRender(auth: NemoAuth, request: RenderRequest): Promise<RenderStatus>;
  renderStatus(auth: NemoAuth, renderId: string): Promise<RenderStatus>;
  cancelRender(auth: NemoAuth, renderId: string): Promise<void>;
  /** The MP4 to a file: from the output URL when the policy allows it, else the authenticated download endpoint. */
  downloadRender(auth: NemoAuth, request: DownloadRequest): Promise<DownloadResult>;
  /** The output URL as a link for the user, when it is the backend's or its CDN's; else undefined. */
  publicRenderLink(outputUrl: string | undefined): string | undefined;
}

/** A finished render's download to a file (download.ts). */
export type DownloadSource = "url" | "api";

/** What a later attempt needs to continue a broken-off transfer (kept in the job's step). */
export interface ResumeInfo {
  source: DownloadSource;
  /** A strong ETag or Last-Modified, for `If-Range`. */
  validator?: string;
  /** The whole file's size, when the server said. */
  total?: number;
}

export interface DownloadRequest {
  renderId: string;
  outputUrl?: string;
  /** The finished file; bytes arrive in `${path}.part` first. */
  path: string;
  /** The most bytes written; beyond them the download stops with "too-large". */
  maxBytes: number;
  resume?: ResumeInfo;
  /** Told what to keep for a resume as soon as the server has said it. */
  onResume?: (info: ResumeInfo) => void;
  signal?: AbortSignal;
}

export type DownloadResult = { kind: "done"; size: number; source: DownloadSource } | { kind: "too-large"; size?: number };
