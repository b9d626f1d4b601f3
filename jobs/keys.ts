import type { SessionRef } from "../src/accounts/types.js";

/**
 * Names of everything jobs/ keeps in Redis, all under the BullMQ prefix (so a `{braced}` prefix
 * keeps them in one Redis Cluster slot with the queues).
 */

/** One session's identity as a key part: the user in one chat. BullMQ job ids may not hold ':'. */
export function sessionKeyOf(session: Pick<SessionRef, "userKey" | "chatId">): string {
  return `${session.userKey}@${session.chatId}`.replace(/:/g, "~");
}

export const queueNames = {
  /** Mailbox drainers: one job per session at a time runs that session's items in order. */
  session: "session-work",
  /** Export renders, polled as delayed steps outside the session's mailbox. */
  render: "render",
} as const;

export function mailboxKeys(prefix: string, sessionKey: string) {
  const base = `${prefix}:mailbox:${sessionKey}`;
  return {
    /** Items waiting, oldest first (envelopes as JSON). */
    queue: `${base}:queue`,
    /** The item being worked on; it leaves the mailbox only when done. */
    current: `${base}:current`,
    /** The generation of the drainer that owns this mailbox; absent when none runs. */
    owner: `${base}:owner`,
    /** Generation counter: each new drainer gets the next number (its job id holds it). */
    generation: `${base}:generation`,
    /** Sessions that have a drainer, for the repair sweep. */
    active: `${prefix}:mailbox:active`,
  };
}

export function drainerJobId(sessionKey: string, generation: string): string {
  return `drain-${sessionKey}-${generation}`;
}

export function renderJobId(envelopeId: string): string {
  return `render-${envelopeId.replace(/:/g, "~")}`;
}

/** Durable once-markers of one item (see markers.ts). */
export function markerKey(prefix: string, kind: string, id: string): string {
  return `${prefix}:mark:${kind}:${id}`;
}

/** A session's renders in flight by the fingerprint of their draft, so the same version renders once. */
export function sessionDraftRendersKey(prefix: string, sessionKey: string): string {
  return `${prefix}:render-drafts:${sessionKey}`;
}

/** The renders of a session in flight, so `/cancel` can reach them. */
export function sessionRendersKey(prefix: string, sessionKey: string): string {
  return `${prefix}:renders:${sessionKey}`;
}

/** What jobs/line keeps for one session: the queued items' status messages and the running item's start. */
export function lineKeys(prefix: string, sessionKey: string) {
  const base = `${prefix}:line:${sessionKey}`;
  return {
    /** Hash: waiting item id → its queued status message (ref, chat, language, the text shown). */
    statuses: `${base}:statuses`,
    /** The mailbox's running item: `<id> <started at ms>`. */
    running: `${base}:running`,
    /** Sessions with queued status messages to keep current. */
    sessions: `${prefix}:line:sessions`,
  };
}

/** Whoever edits a queued item's status message holds this (the line keeper, or the item starting). */
export function lineLeaseKey(prefix: string, envelopeId: string): string {
  return `${prefix}:line:lease:${envelopeId}`;
}

/** The lock of the sweep that keeps every session's places in line current (one worker process at a time). */
export function lineSweepKey(prefix: string): string {
  return `${prefix}:line:tick`;
}

/** The lock of the sweep that re-adds lost drainer jobs (repair.ts; one worker process at a time). */
export function repairSweepKey(prefix: string): string {
  return `${prefix}:repair:sweep`;
}

/** The last measured durations of one kind of item, newest first (a rolling window). */
export function durationsKey(prefix: string, kind: string): string {
  return `${prefix}:durations:${kind}`;
}

/**
 * The stream hub of one worker process (stream-hub.ts): its liveness lease, the drainer jobs whose
 * streams it holds, the registry of hubs, and the lock that lets one worker at a time sweep dead ones.
 */
export function hubKeys(prefix: string, hubId: string) {
  return {
    alive: `${prefix}:hub:alive:${hubId}`,
    items: `${prefix}:hub:items:${hubId}`,
    all: `${prefix}:hubs`,
    sweep: `${prefix}:hub:sweep`,
    /** Drainer jobs whose stream ended (score: when), until the job takes the outcome: the sweep wakes them again. */
    ended: `${prefix}:hub:ended`,
  };
}
