import { isNemoError, NemoError, type NemoErrorCode } from "../src/errors.js";
import type { Messages } from "../src/i18n/index.js";
import type { TurnEvent } from "../src/nemo/types.js";
import type { RecoveryReason } from "./recovery.js";

/**
 * What one turn's stream came to, as the stream hub (stream-hub.ts) tallies it and writes it to
 * Redis (`outcome:<item>`) for the turn's drainer job, which resumes and answers from it.
 */

/**
 * Failures before the first event that prove the backend did not take the message: the contract's
 * envelope codes (1001, 1002 or its 404 "Session not found", 2001) and the statuses that refuse a
 * request before any work (400 for a missing client id, 401, 402, 429). Only these clear the `sent`
 * marker. Anything else (a 5xx, a gateway's page, an HTML 200, a reset, a headers timeout) may hide
 * an applied edit: the turn is recovered by reading the state, never sent again.
 */
export const NOT_TAKEN_CODES: ReadonlySet<NemoErrorCode> = new Set([
  "token_invalid",
  "session_not_found",
  "no_credits",
  "missing_client_id",
  "plan_blocked",
  "rate_limited",
]);

/** The stream ended on "I encountered a temporary issue" after a turn that had gone well. */
const TRAILING_HICCUP = /encountered a temporary issue|遇到了临时问题/i;

/** What one stream said, read to its end. */
export interface StreamOutcome {
  texts: string[];
  /** A functionCall or functionResponse came: from then on the edit may be in the project whatever happens. */
  touchedProject: boolean;
  /** The model stopped early (ADK's finish reason, e.g. MAX_TOKENS): the texts came whole, the tools ran. */
  cutShort?: string;
  /** The agent reported an error (not a trailing hiccup after a turn that went well). */
  failure?: { code?: string };
}

/**
 * - `ended`: the backend closed the stream; what it said.
 * - `unknown`: the stream broke off after the message went (a drop, a limit, a shutdown): the state tells.
 * - `refused`: an answer before any event proved the message was not taken (the `sent` marker is
 *   cleared already); the turn goes again as the contract allows (a renewed token or session, the
 *   one retry after 429) or the user is told why.
 */
export type TurnOutcome =
  | ({ kind: "ended" } & StreamOutcome)
  | { kind: "unknown"; reason: RecoveryReason }
  | { kind: "refused"; code: NemoErrorCode; message: string; status?: number; backendCode?: number; bindId?: string };

export function parseTurnOutcome(raw: string | null): TurnOutcome | undefined {
  if (raw === null) return undefined;
  try {
    const value = JSON.parse(raw) as TurnOutcome;
    return typeof value === "object" && value !== null && typeof value.kind === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The refusal as the error the turn's code handles (the same NemoError the stream ended with). */
export function refusalError(outcome: Extract<TurnOutcome, { kind: "refused" }>): NemoError {
  return new NemoError(outcome.code, outcome.message, {
    ...(outcome.status === undefined ? {} : { status: outcome.status }),
    ...(outcome.backendCode === undefined ? {} : { backendCode: outcome.backendCode }),
    ...(outcome.bindId === undefined ? {} : { bindId: outcome.bindId }),
  });
}

/** How a stream that broke off after `seen` events ends: refused (not taken) or unknown. */
export function brokenOutcome(error: unknown, seen: number, aborted: boolean): TurnOutcome {
  if (seen === 0 && isNemoError(error) && NOT_TAKEN_CODES.has(error.code)) {
    return {
      kind: "refused",
      code: error.code,
      message: error.message,
      ...(error.status === undefined ? {} : { status: error.status }),
      ...(error.backendCode === undefined ? {} : { backendCode: error.backendCode }),
      ...(error.bindId === undefined ? {} : { bindId: error.bindId }),
    };
  }
  return { kind: "unknown", reason: recoveryReason(error, aborted) };
}

/** What the user is told while the state is read: the stream broke off, the service failed, or time ran out. */
export function recoveryReason(error: unknown, aborted: boolean): RecoveryReason {
  if (isNemoError(error, "turn_timeout") || isNemoError(error, "timeout")) return "timeout";
  if (isNemoError(error, "network") || aborted) return "dropped";
  return "error";
}

/** The progress line a tool call shows. */
export function toolLine(m: Messages, name: string): string {
  if (/generate|seedance|video_gen/i.test(name)) return m.toolGenerating;
  if (/edit|multitrack|timeline|trim|cut/i.test(name)) return m.toolEditing;
  return m.toolWorking;
}

/**
 * One turn's stream as it is read: the texts, whether the tools ran, how it stopped. Small on
 * purpose (a worker holds thousands); `seen` counts every event, heartbeats included, since only an
 * error before any of them proves the message was not taken.
 */
export class TurnTally {
  /** Made at the first whole text: most of an open turn's life is heartbeats. */
  texts: string[] | undefined;
  partial = "";
  touchedProject = false;
  cutShort: string | undefined;
  errors: Extract<TurnEvent, { type: "error" }>[] | undefined;
  seen = 0;

  /** Takes one event; returns the tool's name when it is a tool call (the progress line changes). */
  take(event: TurnEvent): string | undefined {
    this.seen += 1;
    switch (event.type) {
      case "text":
        // Partial events are pieces of the message the final event repeats in full.
        if (event.partial) this.partial += event.text;
        else {
          (this.texts ??= []).push(event.text);
          this.partial = "";
        }
        return undefined;
      case "tool-call":
        this.touchedProject = true;
        return event.name;
      case "tool-result":
        this.touchedProject = true;
        return undefined;
      case "cut-short":
        this.cutShort = event.reason;
        return undefined;
      case "error":
        (this.errors ??= []).push(event);
        return undefined;
      default:
        return undefined;
    }
  }

  /** The stream ended normally: what it said. */
  outcome(): StreamOutcome {
    const texts = [...(this.texts ?? [])];
    if (this.partial.trim() !== "") texts.push(this.partial);
    const kept = texts.filter((t) => t.trim() !== "");
    // A trailing "temporary issue" after a turn that went well is noise, as text or as an error.
    if (kept.length > 1 && TRAILING_HICCUP.test(kept[kept.length - 1] ?? "")) kept.pop();
    const real = (this.errors ?? []).filter((e) => !(kept.length > 0 && TRAILING_HICCUP.test(e.message)));
    const [failure] = real;
    return {
      texts: kept,
      touchedProject: this.touchedProject,
      ...(this.cutShort === undefined ? {} : { cutShort: this.cutShort }),
      ...(failure === undefined ? {} : { failure: failure.code === undefined ? {} : { code: failure.code } }),
    };
  }
}
