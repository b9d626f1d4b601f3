import type { Messages } from "./en.js";

/** Everything the bot says in Simplified Chinese; the same keys as en.ts. */
export const zhCN: Messages = {
  // --- general ---
  languageName: "简体中文",
  unknownError: "我们这边出了点问题，请稍后再试。",

  // --- turns (jobs/) ---
  thinking: "🤔 思考中…",
  stillWorking: (p) => `⏳ 仍在处理中...（${p.minutes} 分钟）`,
};
