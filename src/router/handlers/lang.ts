import type { Locale } from "../../chat/message.js";
import { messages } from "../../i18n/index.js";
import type { Handler } from "../types.js";

const CHOICES: Record<string, Locale | "auto"> = {
  en: "en", english: "en", "en-us": "en", 英文: "en", 英语: "en",
  zh: "zh-CN", "zh-cn": "zh-CN", cn: "zh-CN", chinese: "zh-CN", 中文: "zh-CN", 简体中文: "zh-CN",
  auto: "auto", reset: "auto", default: "auto",
};

/** /lang en|zh|auto: the language the bot answers this user in, kept in Redis. */
export const lang: Handler<{ kind: "command"; command: "lang"; args: string }> = async (ctx, intent) => {
  const choice = CHOICES[intent.args.trim().toLowerCase()];
  if (!choice) {
    await ctx.reply(ctx.t.langUsage({ current: ctx.t.languageName }));
    return;
  }
  const { userKey } = ctx.message;
  if (choice === "auto") {
    await ctx.deps.preferences.setLocale(userKey, undefined);
    await ctx.reply(messages(ctx.message.locale).langAuto);
    return;
  }
  await ctx.deps.preferences.setLocale(userKey, choice);
  await ctx.reply(messages(choice).langSet);
};
