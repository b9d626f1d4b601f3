/**
 * Where each user's things live in Redis, under one prefix (tests give each file its own).
 * A user is `platform:userId`; a session is per user per chat.
 */
export interface AccountKeys {
  /** Hash: clientId, anonToken, anonExpiresAt, anonUserId, ownToken (sealed), lang. */
  user(userKey: string): string;
  /** Hash: sessionId, owner, bindId, taskId, language, createdAt. */
  session(userKey: string, chatId: string): string;
  lock(what: "token" | "session", ...parts: string[]): string;
}

export function accountKeys(prefix: string): AccountKeys {
  return {
    user: (userKey) => `${prefix}:user:${userKey}`,
    session: (userKey, chatId) => `${prefix}:session:${userKey}:${chatId}`,
    lock: (what, ...parts) => `${prefix}:lock:${what}:${parts.join(":")}`,
  };
}
