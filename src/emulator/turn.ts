import { randomBytes, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../log.js";
import type { TurnPlan } from "./agent.js";
import { serverError } from "./guard.js";
import { EMULATOR_HEADER } from "./http.js";
import type { SessionRecord, UserRecord } from "./store.js";
import type { EmulatorTiming, FaultKind } from "./types.js";

/**
 * One `/run_sse` turn as Google ADK streams it: `data: <event JSON>\n\n` frames, heartbeats while
 * the agent works, tool calls and results, the final text, then the connection simply ends.
 *
 * The turn belongs to the server, not the connection: if the client goes away, the edit still lands
 * at its time and the credits are still charged, as on the real backend (which is why the bot reads
 * the state after a drop and never re-sends).
 */

export interface TurnDeps {
  timing: EmulatorTiming;
  logger: Logger;
  /** Aborted when the emulator closes. */
  signal: AbortSignal;
  /** False once the session was dropped: a turn still running then changes nothing. */
  sessionExists(sessionId: string): boolean;
}

type StreamFault = Extract<
  FaultKind,
  "silent-turn" | "heartbeat-only" | "drop-stream" | "invalid-frames" | "stream-error" | "error-after-edit" | "cut-short" | "busy-after-edit" | "slow-tool"
>;

export const STREAM_FAULTS: readonly FaultKind[] = [
  "silent-turn",
  "heartbeat-only",
  "drop-stream",
  "invalid-frames",
  "stream-error",
  "error-after-edit",
  "cut-short",
  "busy-after-edit",
  "slow-tool",
];

/**
 * How long a `slow-tool` turn's tool runs: long enough for a progress line to show on a loaded machine,
 * shorter than the tests' shortest silence watchdog (heartbeats alone do not count as progress).
 */
const SLOW_TOOL_MS = 300;

class SseWriter {
  private heartbeats = 0;
  constructor(private readonly res: ServerResponse) {}

  get open(): boolean {
    return !this.res.destroyed && !this.res.writableEnded;
  }
  event(body: Record<string, unknown>): void {
    this.raw(`data: ${JSON.stringify(body)}\n\n`);
  }
  /** The gateway's keep-alives: an empty `data:` frame or a `:` comment line, alternately. */
  heartbeat(): void {
    this.heartbeats += 1;
    this.raw(this.heartbeats % 2 === 1 ? ": keep-alive\n\n" : "data:\n\n");
  }
  raw(text: string): void {
    if (this.open) this.res.write(text);
  }
  end(): void {
    if (this.open) this.res.end();
  }
  destroy(): void {
    this.res.socket?.destroy();
    this.res.destroy();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error("aborted"));
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error("aborted"));
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function adkEvent(invocationId: string, role: "model" | "user", parts: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    content: { parts, role },
    invocationId,
    author: "nemo_agent",
    actions: { stateDelta: {}, artifactDelta: {}, requestedAuthConfigs: {} },
    id: randomBytes(6).toString("base64url"),
    timestamp: Date.now() / 1000,
    ...extra,
  };
}

/** Credits are frozen while the turn works, then charged (or given back when it fails). */
function reserve(user: UserRecord, wanted: number): number {
  const cost = Math.min(wanted, user.available);
  user.available -= cost;
  user.frozen += cost;
  return cost;
}
function settle(user: UserRecord, cost: number, charged: boolean): void {
  user.frozen -= cost;
  if (!charged) user.available += cost;
}

export async function runTurn(
  req: IncomingMessage,
  res: ServerResponse,
  session: SessionRecord,
  user: UserRecord,
  plan: TurnPlan,
  fault: StreamFault | undefined,
  deps: TurnDeps,
): Promise<void> {
  const { timing, signal } = deps;
  const out = new SseWriter(res);
  const invocationId = `e-${randomUUID()}`;
  const cost = reserve(user, plan.cost);
  let charged = false;

  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "x-accel-buffering": "no",
    [EMULATOR_HEADER[0]]: EMULATOR_HEADER[1],
  });
  res.flushHeaders();
  out.heartbeat();
  const heartbeat = setInterval(() => out.heartbeat(), Math.max(1, timing.heartbeatMs));
  // A client that goes away stops the writes, never the turn.
  const stopBeats = () => clearInterval(heartbeat);
  res.once("close", stopBeats);

  const step = () => sleep(timing.turnStepMs, signal);
  const invalid = (n: number) => {
    if (fault !== "invalid-frames") return;
    // Older ADK interpolates error text into the frame unescaped; a truncated frame is the other kind seen.
    out.raw(n % 2 === 0 ? `data: {"content":{"parts":[{"text":"Checking the "timeline" now"}]},"author":"nemo_agent"}\n\n` : `data: {"content":{"parts":[{"text":"half a fr\n\n`);
  };

  try {
    // Nothing but keep-alives until the time is up (or the client gives up first).
    const onlyHeartbeats = async () => {
      const until = Date.now() + timing.heartbeatOnlyMs;
      while (Date.now() < until && out.open) await sleep(Math.min(timing.heartbeatMs, until - Date.now()), signal);
    };
    if (fault === "heartbeat-only") {
      await onlyHeartbeats();
      return;
    }
    await step();
    const callId = `adk-${randomUUID()}`;
    if (plan.tool) {
      out.event(adkEvent(invocationId, "model", [{ functionCall: { id: callId, name: plan.tool.name, args: plan.tool.args } }]));
      invalid(0);
      await step();
      if (fault === "slow-tool") await sleep(SLOW_TOOL_MS, signal);
      if (plan.kind === "generate") {
        // Generation is the slow kind of work: a few more steps of heartbeats.
        await step();
        await step();
      }
    }
    const modelError = () =>
      out.event({
        errorCode: "MODEL_ERROR",
        errorMessage: "The model is temporarily unavailable. Please try again later.",
        invocationId,
        author: "nemo_agent",
        id: randomBytes(6).toString("base64url"),
        timestamp: Date.now() / 1000,
      });
    if (fault === "stream-error") {
      modelError();
      return;
    }
    if (!deps.sessionExists(session.id)) return;
    const text = plan.apply(session);
    charged = true;
    if (plan.tool) {
      out.event(
        adkEvent(invocationId, "user", [
          { functionResponse: { id: callId, name: plan.tool.name, response: { status: "success", message: `${plan.tool.name} finished` } } },
        ]),
      );
      invalid(1);
    }
    if (fault === "drop-stream") {
      out.destroy();
      return;
    }
    if (fault === "silent-turn") return;
    if (fault === "busy-after-edit") {
      await onlyHeartbeats();
      return;
    }
    if (fault === "error-after-edit") {
      modelError();
      return;
    }
    await step();
    if (fault === "cut-short") {
      // ADK copies a finish reason other than STOP into errorCode on the final event, text and all.
      out.event(adkEvent(invocationId, "model", [{ text: text.slice(0, Math.max(1, Math.ceil(text.length / 2))) }], { errorCode: "MAX_TOKENS", partial: false }));
      return;
    }
    out.event(adkEvent(invocationId, "model", [{ text }]));
  } catch (error) {
    if (!signal.aborted) deps.logger.warn({ err: error, sessionId: session.id }, "emulated turn failed");
  } finally {
    clearInterval(heartbeat);
    res.off("close", stopBeats);
    settle(user, cost, charged);
    out.end();
  }
}

/**
 * The agent applies the edit (and is charged) but the client never gets the stream: a gateway in front
 * of the app answers 5xx (`status`), or nothing answers at all until the client gives up (`"hang"`).
 * This is the case that forbids re-sending after a 5xx: the edit is in the project.
 */
export async function applyWithoutStream(
  req: IncomingMessage,
  res: ServerResponse,
  session: SessionRecord,
  user: UserRecord,
  plan: TurnPlan,
  answer: number | "hang",
  deps: TurnDeps,
): Promise<void> {
  const cost = reserve(user, plan.cost);
  let charged = false;
  try {
    await sleep(deps.timing.turnStepMs, deps.signal);
    if (deps.sessionExists(session.id)) {
      plan.apply(session);
      charged = true;
    }
  } catch (error) {
    if (!deps.signal.aborted) deps.logger.warn({ err: error, sessionId: session.id }, "emulated turn failed");
  } finally {
    settle(user, cost, charged);
  }
  if (answer !== "hang") return serverError(req, res, answer);
  // Headers never come; the client's own timeout ends it (or the heartbeat-only span, whichever is first).
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, deps.timing.heartbeatOnlyMs);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    res.once("close", done);
    deps.signal.addEventListener("abort", done, { once: true });
  });
  if (!res.destroyed && !res.headersSent) await serverError(req, res, 504);
}
