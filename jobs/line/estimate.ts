import type { WorkEnvelope } from "../../src/work/types.js";
import type { DurationKind, Medians } from "./durations.js";
import type { SessionLine } from "./read-line.js";

/**
 * Places in line and how long until each starts, from measured medians only: when a kind the
 * estimate needs was never measured, there is no estimate (the words then give no number).
 */

export interface Place {
  /** Items that start before this one: the running one, this session's earlier ones, others' for a slot. */
  ahead: number;
  /** Milliseconds until it should start; undefined without measurements. */
  etaMs: number | undefined;
  /** Its session's work waits for a worker slot (every slot busy). */
  forSlot: boolean;
}

export function kindOf(envelope: WorkEnvelope): DurationKind {
  return envelope.item.kind;
}

/** What is left of the running item: its median minus the time it has run (never below zero). */
function remainingOfRunning(line: SessionLine, medians: Medians, now: number): number | undefined {
  if (!line.running) return 0;
  const typical = medians[kindOf(line.running.envelope)];
  if (typical === undefined) return undefined;
  const elapsed = line.running.startedAt === undefined ? 0 : Math.max(0, now - line.running.startedAt);
  return Math.max(0, typical - elapsed);
}

/**
 * Waiting for a worker slot: `busy` slots each free up after a typical item, so the work ahead
 * (plus ours) goes through them `busy` at a time.
 */
function slotWait(line: SessionLine, medians: Medians): number | undefined {
  if (!line.slot) return 0;
  const typical = medians.turn;
  if (typical === undefined) return undefined;
  return ((line.slot.ahead + 1) * typical) / Math.max(1, line.slot.busy);
}

/** The place of each waiting item of `line`, in its order. */
export function placesInLine(line: SessionLine, medians: Medians, now: number): Place[] {
  const base = (line.running ? 1 : 0) + (line.slot?.ahead ?? 0);
  let eta: number | undefined = addKnown(remainingOfRunning(line, medians, now), slotWait(line, medians));
  return line.waiting.map((envelope, index) => {
    const place: Place = { ahead: base + index, etaMs: eta, forSlot: line.slot !== undefined };
    eta = addKnown(eta, medians[kindOf(envelope)]);
    return place;
  });
}

function addKnown(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a + b;
}

/** An item "cannot start at once" when something is before it, or no worker slot is free for it. */
export function mustWait(place: Place): boolean {
  return place.ahead > 0 || place.forSlot;
}

/**
 * Time left of a render from its progress rate: two readings (the first and the latest) give
 * percent per ms; undefined until the progress has moved.
 */
export interface ProgressReading {
  percent: number;
  at: number;
}

export function renderEtaMs(first: ProgressReading | undefined, latest: ProgressReading | undefined): number | undefined {
  if (!first || !latest) return undefined;
  const moved = latest.percent - first.percent;
  const took = latest.at - first.at;
  if (moved <= 0 || took <= 0 || latest.percent >= 100) return undefined;
  return ((100 - latest.percent) * took) / moved;
}
