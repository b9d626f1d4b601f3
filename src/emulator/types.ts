import type { Logger } from "../log.js";

/** The public face of the NemoVideo emulator (see index.ts); other code and tests program against these. */

export interface EmulatorOptions {
  /** 0 = a free port (default 0). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Uploaded files and renders; default a fresh temp dir, removed on close. */
  dataDir?: string;
  /** Real MP4 renders and media probing; default: true when `ffmpeg` is on PATH. */
  ffmpeg?: boolean;
  /** New client ids per IP per 7 days (default 10; Infinity for none). */
  anonymousPerIpLimit?: number;
  /** Credits of a new anonymous user (default 100). */
  startingCredits?: number;
  timing?: Partial<EmulatorTiming>;
  logger?: Logger;
  /** Render status answer shape: A, B, or alternate by a stable hash of the render id (default). */
  renderShape?: RenderShape;
  /** Largest accepted upload in bytes (default 500 MB); larger files answer 4002. */
  maxUploadBytes?: number;
  /** ffmpeg processes at once (default 2); more renders wait in a queue. */
  ffmpegConcurrency?: number;
  /**
   * Each render's MP4 carries its render id in a trailing `free` box (default false), so a test can
   * tell which render a posted video came from (the fault run tells a late video from a lost one).
   */
  markRenders?: boolean;
}

export type RenderShape = "A" | "B" | "alternate";

export interface EmulatorTiming {
  /** Pause between events of a turn (demo default ~400, tests pass ~5). */
  turnStepMs: number;
  /** Heartbeat interval while a turn works (default 5000). */
  heartbeatMs: number;
  /** How long a render takes from start to completed (default 3000). */
  renderMs: number;
  /** How long a heartbeat-only turn keeps sending heartbeats before closing (default 11 min). */
  heartbeatOnlyMs: number;
}

export type FaultKind =
  | "token-expired"
  /** run_sse: a gateway that opened the event stream before it checked the token; its first frame is the 1001 envelope. */
  | "token-expired-in-stream"
  | "session-lost"
  | "no-credits"
  | "unsupported-file"
  | "file-too-large"
  | "export-blocked"
  | "rate-limit"
  | "server-error"
  | "silent-turn"
  | "heartbeat-only"
  | "drop-stream"
  | "invalid-frames"
  | "stream-error"
  /** The edit is applied and its tool events sent, then an error event ends the turn (no text). */
  | "error-after-edit"
  /**
   * The edit is applied and charged, then the answer is a 5xx instead of the stream (`status`, default
   * 504: a gateway that gave up on the app while the app went on): the client cannot tell it was applied.
   */
  | "gateway-error-after-edit"
  /** The edit is applied and its tool events sent, then nothing but heartbeats for `heartbeatOnlyMs` (no text). */
  | "busy-after-edit"
  /** The tool runs for 300 ms between its call and its answer, as a real edit takes time (its progress line shows). */
  | "slow-tool"
  /** The edit is applied and charged, but no answer (not even headers) comes until the client gives up. */
  | "hang-after-edit"
  /**
   * The upload's files are added to the session, then no answer (not even headers) comes until the
   * client gives up or goes away (a worker killed after the backend accepted its upload).
   */
  | "hang-after-upload"
  /** The upload's files are added to the session, then the answer is a 5xx (`status`, default 504). */
  | "gateway-error-after-upload"
  /** The final text event carries `errorCode: "MAX_TOKENS"` (ADK's finish reason): the reply is cut, the edit applied. */
  | "cut-short"
  | "slow-render"
  | "render-fails"
  | "anonymous-limit"
  /** The render download sends half its bytes, then resets the connection (RST). */
  | "download-reset"
  /** The render download sends half its bytes under the full Content-Length, then closes (FIN). */
  | "download-truncated"
  /** A render status names `url` as its output URL (a misbehaving or hostile backend answer). */
  | "output-url"
  /** The agent's answer ends by telling the user to click Export now (the bot then exports). */
  | "says-export";

export type RouteName =
  | "anonymous-token"
  | "create-session"
  | "run-sse"
  | "upload"
  | "credits"
  | "state"
  | "render-start"
  | "render-status"
  | "render-cancel"
  | "download";

export interface Fault {
  kind: FaultKind;
  /** How many matching requests it hits (default 1). */
  times?: number;
  /** Only this route (default: every route the kind applies to). */
  route?: RouteName;
  /** Only requests about this session. */
  sessionId?: string;
  /** For "server-error" (default 500), "gateway-error-after-edit" and "gateway-error-after-upload" (default 504): 500, 502, 503 or 504. */
  status?: number;
  /** For "output-url": the URL the render status names. */
  url?: string;
}

export interface FaultQueue {
  add(fault: Fault): void;
  clear(): void;
  /** Faults still waiting, in order (with the times left). */
  pending(): Fault[];
}

export interface EmulatorCounters {
  /** How many times each message text reached /run_sse, per session. */
  runSse(sessionId: string, text: string): number;
  runSseTotal(): number;
  /** Render ids in the order they were started. */
  rendersStarted(): string[];
  /** When the render with this id was started (Date.now()), if it was. */
  renderStartedAt(id: string): number | undefined;
  requests(route?: RouteName): number;
  anonymousTokensIssued(): number;
  sessionsCreated(): number;
  reset(): void;
}

/** What GET /__emulator/counters answers. */
export interface CountersSnapshot {
  runSseTotal: number;
  /** sessionId → message text → times it reached /run_sse */
  runSse: Record<string, Record<string, number>>;
  rendersStarted: string[];
  requests: Partial<Record<RouteName, number>>;
  requestsTotal: number;
  anonymousTokensIssued: number;
  sessionsCreated: number;
}

export interface EmulatedUpload {
  fileId: string;
  filename: string;
  fileType: "video" | "image" | "audio";
  cdnUrl: string;
  duration: number;
  width: number;
  height: number;
  fps: number;
  hash: string;
  size: number;
  hasAudio: boolean;
  /** Channels of its sound (1 = mono); 0 when unknown. */
  audioChannels: number;
  /** Where the bytes are on disk; undefined for a URL the emulator only recorded. */
  path: string | undefined;
}

export interface EmulatedSessionView {
  sessionId: string;
  taskId: string;
  taskName: string;
  language: string;
  /** The user id of the token that created it. */
  userId: string;
  /** The draft in the contract's short keys, exactly as the state endpoint returns it. */
  draft: Record<string, unknown>;
  uploads: EmulatedUpload[];
  /** Every message text that reached /run_sse for it, in order. */
  messages: string[];
}

export interface Emulator {
  url: string;
  port: number;
  faults: FaultQueue;
  counters: EmulatorCounters;
  /** Make a token answer 1001 from now on (as if expired). */
  expireToken(token: string): void;
  /** Forget a session (the next call on it answers 1002). */
  dropSession(sessionId: string): void;
  /** Read-only view of a session for assertions. */
  session(sessionId: string): EmulatedSessionView | undefined;
  close(): Promise<void>;
}
