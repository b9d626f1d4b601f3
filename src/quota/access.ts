import type { Platform } from "../chat/message.js";

/**
 * The operator's optional allowlist (`ALLOWED_USERS`, `ALLOWED_CHATS`): entries are
 * `platform:id` or a bare id that matches on any platform. With both lists empty everyone may use
 * the bot; otherwise a listed user may use it anywhere and anyone may use it in a listed chat.
 */
export interface AccessLists {
  users: string[];
  chats: string[];
}

export interface Who {
  platform: Platform;
  userId: string;
  chatId: string;
}

export function isAllowed(lists: AccessLists, who: Who): boolean {
  if (lists.users.length === 0 && lists.chats.length === 0) return true;
  return matches(lists.users, who.platform, who.userId) || matches(lists.chats, who.platform, who.chatId);
}

function matches(entries: string[], platform: Platform, id: string): boolean {
  return entries.some((entry) => entry === id || entry === `${platform}:${id}`);
}
