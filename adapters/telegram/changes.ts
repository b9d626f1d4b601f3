/** What a wait needs of an abort signal (grammY's runner hands out a polyfill's, not Node's own). */
export interface Abortable {
  readonly aborted: boolean;
  addEventListener(type: "abort", listener: () => void, options?: { once: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

/**
 * Waits for a condition on state that changes at known points: whoever changes it calls `changed()`,
 * which checks every wait's condition, so no wait polls.
 */
export class Changes {
  private readonly waiters = new Set<() => void>();

  changed(): void {
    for (const check of [...this.waiters]) check();
  }

  /** Resolves once `ready()` holds, after `ms` (if given), or when `signal` aborts, whichever comes first. */
  async until(ready: () => boolean, signal?: Abortable, ms?: number): Promise<void> {
    if (ready() || signal?.aborted) return;
    await new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
        signal?.removeEventListener("abort", finish);
        resolve();
      };
      const check = () => {
        if (ready()) finish();
      };
      const timer = ms === undefined ? undefined : setTimeout(finish, ms);
      this.waiters.add(check);
      signal?.addEventListener("abort", finish, { once: true });
    });
  }
}
