import { randomBytes, randomInt } from "node:crypto";
import { emptyDraft, type DraftModel } from "./draft.js";
import type { EmulatedUpload } from "./types.js";

/** Users, tokens, sessions and uploaded files of one emulator, all in memory. */

const TOKEN_LIFETIME_MS = 7 * 24 * 3600_000;

export interface UserRecord {
  id: string;
  available: number;
  frozen: number;
  /** The id a registration link binds this anonymous user to (`?bind=`). */
  bindId: string;
}

interface TokenRecord {
  token: string;
  userId: string;
  clientId: string;
  expiresAt: number;
  expired: boolean;
}

export interface GeneratedMedia {
  id: string;
  prompt: string;
  url: string;
  duration: number;
}

export interface SessionRecord {
  id: string;
  taskId: string;
  taskName: string;
  language: string;
  userId: string;
  draft: DraftModel;
  uploads: EmulatedUpload[];
  generated: GeneratedMedia[];
  messages: string[];
}

export type AnonymousResult =
  | { ok: true; token: string; user: UserRecord; expiresAt: number; issued: boolean }
  | { ok: false };

export class EmulatorStore {
  private users = new Map<string, UserRecord>();
  private tokens = new Map<string, TokenRecord>();
  private tokenByClient = new Map<string, string>();
  private userByClient = new Map<string, string>();
  private clientsByIp = new Map<string, Set<string>>();
  readonly sessions = new Map<string, SessionRecord>();
  /** fileId → upload, for the CDN route and renders. */
  readonly files = new Map<string, EmulatedUpload>();
  private sessionSeq = 0n;
  // Session ids look like the real ones: 19-digit numeric strings.
  private readonly sessionBase = 5_000_000_000_000_000_000n + BigInt(randomInt(2 ** 40)) * 1_000_000n;

  constructor(
    private readonly startingCredits: number,
    private readonly perIpLimit: number,
  ) {}

  /**
   * One token per client id while it is valid; an expired one is renewed (same user, new token).
   * A client id the IP has not used before counts against the IP's limit.
   */
  anonymousToken(clientId: string, ip: string, forceLimit: boolean): AnonymousResult {
    const known = this.tokenByClient.get(clientId);
    const record = known ? this.tokens.get(known) : undefined;
    if (record && this.isValid(record)) {
      return { ok: true, token: record.token, user: this.users.get(record.userId)!, expiresAt: record.expiresAt, issued: false };
    }
    let ipClients = this.clientsByIp.get(ip);
    const newClient = !ipClients?.has(clientId) && !this.userByClient.has(clientId);
    if (forceLimit || (newClient && (ipClients?.size ?? 0) >= this.perIpLimit)) return { ok: false };
    if (!ipClients) this.clientsByIp.set(ip, (ipClients = new Set()));
    ipClients.add(clientId);

    let userId = this.userByClient.get(clientId);
    if (!userId) {
      userId = `anon_${randomBytes(8).toString("hex")}`;
      this.users.set(userId, { id: userId, available: this.startingCredits, frozen: 0, bindId: `bind_${randomBytes(6).toString("hex")}` });
      this.userByClient.set(clientId, userId);
    }
    const token = `nmv_usr_${randomBytes(16).toString("hex")}`;
    const expiresAt = Date.now() + TOKEN_LIFETIME_MS;
    this.tokens.set(token, { token, userId, clientId, expiresAt, expired: false });
    this.tokenByClient.set(clientId, token);
    return { ok: true, token, user: this.users.get(userId)!, expiresAt, issued: true };
  }

  /** The user behind a valid bearer token. */
  authenticate(token: string | undefined): UserRecord | undefined {
    if (!token) return undefined;
    const record = this.tokens.get(token);
    if (!record || !this.isValid(record)) return undefined;
    return this.users.get(record.userId);
  }

  expireToken(token: string): void {
    const record = this.tokens.get(token);
    if (record) record.expired = true;
  }

  createSession(userId: string, taskName: string, language: string): SessionRecord {
    this.sessionSeq += 1n;
    const id = String(this.sessionBase + this.sessionSeq * 7919n);
    const session: SessionRecord = {
      id,
      taskId: `task_${randomBytes(8).toString("hex")}`,
      taskName,
      language,
      userId,
      draft: emptyDraft(),
      uploads: [],
      generated: [],
      messages: [],
    };
    this.sessions.set(id, session);
    return session;
  }

  /** The session when it exists and belongs to the user (another user's session reads as not found). */
  sessionOf(user: UserRecord, sessionId: string | undefined): SessionRecord | undefined {
    if (!sessionId) return undefined;
    const session = this.sessions.get(sessionId);
    return session && session.userId === user.id ? session : undefined;
  }

  dropSession(sessionId: string): void {
    this.sessions.delete(sessionId);
  }

  private isValid(record: TokenRecord): boolean {
    return !record.expired && record.expiresAt > Date.now();
  }
}
