import type { CountersSnapshot, EmulatorCounters, RouteName } from "./types.js";

/** What reached the emulator: the at-most-once tests count messages per (session, text). */
export class Counters implements EmulatorCounters {
  private messages = new Map<string, Map<string, number>>();
  private messageTotal = 0;
  private renders: string[] = [];
  private renderTimes = new Map<string, number>();
  private perRoute = new Map<RouteName, number>();
  private tokens = 0;
  private sessions = 0;

  recordRequest(route: RouteName): void {
    this.perRoute.set(route, (this.perRoute.get(route) ?? 0) + 1);
  }
  recordMessage(sessionId: string, text: string): void {
    let perText = this.messages.get(sessionId);
    if (!perText) this.messages.set(sessionId, (perText = new Map()));
    perText.set(text, (perText.get(text) ?? 0) + 1);
    this.messageTotal += 1;
  }
  recordRender(id: string): void {
    this.renders.push(id);
    if (!this.renderTimes.has(id)) this.renderTimes.set(id, Date.now());
  }
  recordToken(): void {
    this.tokens += 1;
  }
  recordSession(): void {
    this.sessions += 1;
  }

  runSse(sessionId: string, text: string): number {
    return this.messages.get(sessionId)?.get(text) ?? 0;
  }
  runSseTotal(): number {
    return this.messageTotal;
  }
  rendersStarted(): string[] {
    return [...this.renders];
  }
  renderStartedAt(id: string): number | undefined {
    return this.renderTimes.get(id);
  }
  requests(route?: RouteName): number {
    if (route) return this.perRoute.get(route) ?? 0;
    let total = 0;
    for (const n of this.perRoute.values()) total += n;
    return total;
  }
  anonymousTokensIssued(): number {
    return this.tokens;
  }
  sessionsCreated(): number {
    return this.sessions;
  }
  reset(): void {
    this.messages.clear();
    this.messageTotal = 0;
    this.renders = [];
    this.renderTimes.clear();
    this.perRoute.clear();
    this.tokens = 0;
    this.sessions = 0;
  }

  snapshot(): CountersSnapshot {
    const runSse: CountersSnapshot["runSse"] = {};
    for (const [sid, perText] of this.messages) runSse[sid] = Object.fromEntries(perText);
    return {
      runSseTotal: this.messageTotal,
      runSse,
      rendersStarted: this.rendersStarted(),
      requests: Object.fromEntries(this.perRoute),
      requestsTotal: this.requests(),
      anonymousTokensIssued: this.tokens,
      sessionsCreated: this.sessions,
    };
  }
}
