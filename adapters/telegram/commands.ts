import type { Api } from "grammy";
import type { BotCommand } from "grammy/types";
import { messages } from "../../src/i18n/index.js";
import type { Locale } from "../../src/chat/message.js";

/** The commands Telegram shows in its menu, in the order shown. */
const MENU = ["start", "help", "export", "timeline", "status", "credits", "new", "cancel", "lang", "token"] as const;

export function commandMenu(locale: Locale): BotCommand[] {
  const descriptions = messages(locale).telegramCommands;
  return MENU.map((command) => ({ command, description: descriptions[command] }));
}

/** Publishes the menu: English for everyone, Chinese for users whose app speaks Chinese. */
export async function publishCommands(api: Api): Promise<void> {
  await api.setMyCommands(commandMenu("en"));
  await api.setMyCommands(commandMenu("zh-CN"), { language_code: "zh" });
}
