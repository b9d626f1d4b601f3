import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import type { Dispatcher } from "undici";
import { NemoClient } from "./client.js";

export { NemoClient, type NemoClientOptions } from "./client.js";
export { parseAdkFrame, adkEventToTurnEvents } from "./adk-event.js";
export { normalizeRenderStatus } from "./render-status.js";
export { unwrapEnvelope, findBindId } from "./envelope.js";
export { UploadSourceError } from "./multipart.js";
export { DownloadError, type DownloadRequest, type DownloadResult, type ResumeInfo } from "./download.js";
export { OutputUrlPolicy, isPublicAddress } from "./output-policy.js";
export type * from "./types.js";

/** The client configured from the environment, attributed to the chosen skill. */
export function createNemoClient(
  config: Config,
  skill: { source: string; version: string },
  extras: { logger?: Logger; dispatcher?: Dispatcher } = {},
): NemoClient {
  return new NemoClient({
    baseUrl: config.NEMO_API_BASE,
    skill,
    platform: config.NEMO_SKILL_PLATFORM,
    requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
    uploadTimeoutMs: config.UPLOAD_TIMEOUT_MS,
    retryAfter429Ms: config.RETRY_AFTER_429_MS,
    turnTimeoutMs: config.TURN_TIMEOUT_MS,
    silentTimeoutMs: config.SILENT_TIMEOUT_MS,
    cdnHosts: config.NEMO_CDN_HOSTS,
    ...extras,
  });
}
export { TurnText } from "./turn-text.js";
