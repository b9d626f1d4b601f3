import type { Locale, Platform } from "../chat/message.js";
import type { NemoAuth } from "../nemo/types.js";

/** Whose work this is: one NemoVideo session per user per chat. */
export interface SessionRef {
  platform: Platform;
  userKey: string;
  chatId: string;
  locale: Locale;
}

export interface SessionContext {
  auth: NemoAuth;
  sessionId: string;
  /** Which token this is: the user's own, the operator's, or an anonymous one. */
  tokenKind: "user" | "operator" | "anonymous";
  /** For an anonymous user out of credits: the registration link's `?bind=` id, when known. */
  bindId?: string;
  /**
   * Set when the backend had lost this chat's session (1002) and a new, empty one was made for
   * this call: the user's earlier edits are gone, and they should hear it before anything else.
   */
  replacedLostSession?: boolean;
}

/**
 * Finds each user's token and session (src/accounts/ implements it over Redis). Jobs and the router
 * go through `withSession`, which creates what is missing and renews, each at most once, a token after 1001
 * or the session after 1002 before calling `work` again. `work` must only be safe to call again
 * when the failed call did not reach the backend's stream (1001 and 1002 come before it).
 */
export interface Accounts {
  session(ref: SessionRef): Promise<SessionContext>;
  withSession<T>(ref: SessionRef, work: (context: SessionContext) => Promise<T>): Promise<T>;
  /**
   * Reading is not creating: runs `work` with the chat's current token and a session that already
   * exists, `sessionId` when the caller knows which (the one a message went to, the one a render
   * belongs to), else the chat's stored one. It never creates a session: with none known it throws
   * session_not_found, and a 1002 from `work` is thrown, not replaced. An anonymous token refused
   * with 1001 is renewed once (same client id), which creates no session.
   */
  withExistingSession<T>(ref: SessionRef, work: (context: SessionContext) => Promise<T>, sessionId?: string): Promise<T>;
  /** `/new`: forget this chat's session; the next need creates one. */
  resetSession(ref: SessionRef): Promise<void>;
}

export type TokenKind = SessionContext["tokenKind"];

/**
 * What the router needs beyond `Accounts`: a user's own token (`/token`), which token a user is
 * on, and calls that need a token but no session (credits). src/accounts/ implements it.
 */
export interface TokenStore {
  /** False when no TOKEN_KEY is set: users' own tokens are then refused, never stored in clear. */
  readonly canStoreUserTokens: boolean;
  setUserToken(userKey: string, token: string): Promise<void>;
  /** True when there was one to forget. */
  clearUserToken(userKey: string): Promise<boolean>;
  /** Which token this user's next call would use (creates nothing). */
  tokenKind(userKey: string): Promise<TokenKind>;
  /** Runs `work` with the user's token; renews an anonymous token once after 1001. */
  withToken<T>(userKey: string, work: (auth: NemoAuth, kind: TokenKind) => Promise<T>): Promise<T>;
}

/** Per-user settings kept in Redis (the `/lang` override). */
export interface Preferences {
  /** The user's chosen language, or undefined to follow the platform's. */
  locale(userKey: string): Promise<Locale | undefined>;
  setLocale(userKey: string, locale: Locale | undefined): Promise<void>;
}
