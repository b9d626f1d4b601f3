import type { Fault, FaultKind, FaultQueue, RouteName } from "./types.js";

const ALL_BACKEND_ROUTES: RouteName[] = [
  "anonymous-token",
  "create-session",
  "run-sse",
  "upload",
  "credits",
  "state",
  "render-start",
  "render-status",
  "render-cancel",
  "download",
];
const AUTHENTICATED_ROUTES = ALL_BACKEND_ROUTES.filter((r) => r !== "anonymous-token");

/** The routes a kind hits when the fault names none. */
export const DEFAULT_FAULT_ROUTES: Record<FaultKind, RouteName[]> = {
  "token-expired": AUTHENTICATED_ROUTES,
  "token-expired-in-stream": ["run-sse"],
  "session-lost": ["run-sse", "upload", "state", "render-start"],
  "no-credits": ["run-sse"],
  "unsupported-file": ["upload"],
  "file-too-large": ["upload"],
  "export-blocked": ["render-start"],
  "rate-limit": ALL_BACKEND_ROUTES,
  "server-error": ALL_BACKEND_ROUTES,
  "silent-turn": ["run-sse"],
  "heartbeat-only": ["run-sse"],
  "drop-stream": ["run-sse"],
  "invalid-frames": ["run-sse"],
  "stream-error": ["run-sse"],
  "error-after-edit": ["run-sse"],
  "cut-short": ["run-sse"],
  "gateway-error-after-edit": ["run-sse"],
  "hang-after-edit": ["run-sse"],
  "hang-after-upload": ["upload"],
  "gateway-error-after-upload": ["upload"],
  "busy-after-edit": ["run-sse"],
  "slow-tool": ["run-sse"],
  "slow-render": ["render-start"],
  "render-fails": ["render-start"],
  "anonymous-limit": ["anonymous-token"],
  "download-reset": ["download"],
  "download-truncated": ["download"],
  "output-url": ["render-status"],
  "says-export": ["run-sse"],
};

export const FAULT_KINDS = Object.keys(DEFAULT_FAULT_ROUTES) as FaultKind[];

interface QueuedFault {
  fault: Fault;
  left: number;
}

/**
 * Faults wait in arrival order; each request takes the first one that fits its route, its session
 * and what its handler can do (a "silent-turn" named for the upload route never fits and waits).
 */
export class EmulatorFaults implements FaultQueue {
  private queue: QueuedFault[] = [];

  add(fault: Fault): void {
    if (!FAULT_KINDS.includes(fault.kind)) throw new Error(`unknown fault kind: ${String(fault.kind)}`);
    const times = fault.times ?? 1;
    if (!Number.isInteger(times) || times < 1) throw new Error("fault.times must be a positive integer");
    this.queue.push({ fault: { ...fault }, left: times });
  }

  clear(): void {
    this.queue = [];
  }

  pending(): Fault[] {
    return this.queue.map((q) => ({ ...q.fault, times: q.left }));
  }

  /** Takes (one time of) the first fault that fits, or undefined. */
  take(route: RouteName, sessionId: string | undefined, kinds: readonly FaultKind[]): Fault | undefined {
    for (let i = 0; i < this.queue.length; i++) {
      const queued = this.queue[i]!;
      const { fault } = queued;
      if (!kinds.includes(fault.kind)) continue;
      const routes = fault.route ? [fault.route] : DEFAULT_FAULT_ROUTES[fault.kind];
      if (!routes.includes(route)) continue;
      if (fault.sessionId !== undefined && fault.sessionId !== sessionId) continue;
      queued.left -= 1;
      if (queued.left <= 0) this.queue.splice(i, 1);
      return fault;
    }
    return undefined;
  }
}

/** Reads a Fault from untrusted JSON (the control endpoint). */
export function parseFault(value: unknown): Fault {
  if (typeof value !== "object" || value === null) throw new Error("a fault is a JSON object");
  const v = value as Record<string, unknown>;
  if (typeof v.kind !== "string" || !FAULT_KINDS.includes(v.kind as FaultKind)) {
    throw new Error(`fault.kind must be one of ${FAULT_KINDS.join(", ")}`);
  }
  const fault: Fault = { kind: v.kind as FaultKind };
  if (v.times !== undefined) {
    if (typeof v.times !== "number") throw new Error("fault.times must be a number");
    fault.times = v.times;
  }
  if (v.route !== undefined) {
    if (typeof v.route !== "string" || !ALL_BACKEND_ROUTES.includes(v.route as RouteName)) {
      throw new Error(`fault.route must be one of ${ALL_BACKEND_ROUTES.join(", ")}`);
    }
    fault.route = v.route as RouteName;
  }
  if (v.sessionId !== undefined) fault.sessionId = String(v.sessionId);
  if (v.status !== undefined) fault.status = Number(v.status);
  if (v.url !== undefined) fault.url = String(v.url);
  return fault;
}
