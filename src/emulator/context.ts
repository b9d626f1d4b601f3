import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../log.js";
import type { Counters } from "./counters.js";
import type { EmulatorFaults } from "./faults.js";
import type { RenderBook } from "./renders.js";
import type { EmulatorStore } from "./store.js";
import type { EmulatorTiming } from "./types.js";
import type { UploadDeps } from "./uploads.js";

/** Everything a route handler of the emulator may use. */
export interface EmulatorContext {
  store: EmulatorStore;
  faults: EmulatorFaults;
  counters: Counters;
  renders: RenderBook;
  timing: EmulatorTiming;
  logger: Logger;
  /** The emulator's own base URL, for the CDN links it hands out. */
  baseUrl: string;
  /** Aborted when the emulator closes. */
  signal: AbortSignal;
  uploads: UploadDeps;
  ffmpeg: boolean;
  /** The font titles and captions are drawn with; undefined when it is missing. */
  fontPath: string | undefined;
  startedAt: number;
  /** Streams open right now (the health endpoint reports it). */
  openStreams: { count: number };
}

export type Handler = (req: IncomingMessage, res: ServerResponse, params: string[], ctx: EmulatorContext) => Promise<void>;
