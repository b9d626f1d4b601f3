/**
 * Lanes and fair shares inside one worker process. The session worker runs up to
 * WORKER_CONCURRENCY drainers at once: an open turn is a socket waiting on the backend, so a
 * thousand cost little. What is costly or scarce gets a lane of its own (uploads: disk and
 * bandwidth; export captures), and no one user or chat may hold more than its share of drainers,
 * so a flood from one person cannot make anyone else wait.
 */

/** A wait in line that ran out (`acquireWithin`). */
class LaneWaitOver extends Error {
  override readonly name = "LaneWaitOver";
}

/** A counting semaphore whose waiters are served in arrival order. */
export class Lane {
  private busy = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly limit: number) {}

  get waiting(): number {
    return this.waiters.length;
  }

  /** Resolves with the release function once a place is free (or rejects when `signal` aborts first). */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.busy < this.limit) {
      this.busy += 1;
      return this.releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const wake = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        const index = this.waiters.indexOf(wake);
        if (index !== -1) this.waiters.splice(index, 1);
        reject(signal?.reason instanceof Error ? signal.reason : new Error("aborted while waiting for a lane"));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(wake);
    });
    // The releaser handed its place straight to us (busy unchanged).
    return this.releaser();
  }

  /**
   * Like `acquire`, but waits in line at most `maxWaitMs`: undefined then, and the caller parks its
   * job instead of waiting on. A drainer waiting in process holds a worker slot and stays active in
   * BullMQ, where every kill of its worker and every lock lapse (a Redis restart) counts against it
   * as a stall; 200 uploads at once behind a lane of 4 held 196 slots for a minute and more, and a
   * fault run saw such drainers fail for stalling and wait for the repair sweep.
   */
  async acquireWithin(maxWaitMs: number, signal?: AbortSignal): Promise<(() => void) | undefined> {
    if (this.busy < this.limit) return this.acquire(signal);
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new LaneWaitOver()), maxWaitMs);
    const unfollow = () => signal?.removeEventListener("abort", onAbort);
    const onAbort = () => timeout.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
    try {
      return await this.acquire(timeout.signal);
    } catch (error) {
      if (error instanceof LaneWaitOver) return undefined;
      throw error;
    } finally {
      clearTimeout(timer);
      unfollow();
    }
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.busy -= 1;
    };
  }
}

export interface FairShareLimits {
  /** Drainers (sessions) one user may run at once in this process. */
  perUser: number;
  /** Drainers one chat (a group's members together) may run at once in this process. */
  perChat: number;
}

/** Counts of drainers running per user and per chat, and who was turned away lately. */
export class FairShares {
  private readonly users = new Map<string, number>();
  private readonly chats = new Map<string, number>();
  private readonly turnedAway = new Map<string, number>();

  constructor(
    private readonly limits: FairShareLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** A place for a drainer of (user, chat), or undefined when either is at its share. */
  tryHold(user: string, chat: string): (() => void) | undefined {
    const u = this.users.get(user) ?? 0;
    const c = this.chats.get(chat) ?? 0;
    if (u >= this.limits.perUser || c >= this.limits.perChat) {
      this.turnedAway.set(user, this.now());
      this.turnedAway.set(`chat ${chat}`, this.now());
      return undefined;
    }
    this.users.set(user, u + 1);
    this.chats.set(chat, c + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      decrement(this.users, user);
      decrement(this.chats, chat);
    };
  }

  /** Whether a drainer of this user or chat was turned away within `withinMs`: its running ones should take turns. */
  othersWaiting(user: string, chat: string, withinMs: number): boolean {
    const since = this.now() - withinMs;
    return (this.turnedAway.get(user) ?? 0) >= since || (this.turnedAway.get(`chat ${chat}`) ?? 0) >= since;
  }

  /** Forgets old refusals (called now and then, so the map stays small). */
  prune(olderThanMs: number): void {
    const before = this.now() - olderThanMs;
    for (const [key, at] of this.turnedAway) if (at < before) this.turnedAway.delete(key);
  }
}

function decrement(map: Map<string, number>, key: string): void {
  const n = (map.get(key) ?? 0) - 1;
  if (n <= 0) map.delete(key);
  else map.set(key, n);
}

/** The user and the chat of a session key (`<userKey>@<chatId>`, ':' written '~'; see keys.ts). */
export function ownersOfSessionKey(sessionKey: string): { user: string; chat: string } {
  const at = sessionKey.lastIndexOf("@");
  if (at === -1) return { user: sessionKey, chat: sessionKey };
  const user = sessionKey.slice(0, at);
  // Chat ids are the platform's: keep the platform with them (`telegram~-100…`).
  const platform = user.split("~")[0] ?? "";
  return { user, chat: `${platform}~${sessionKey.slice(at + 1)}` };
}
