/**
 * Everything the bot says in English. zh-CN.ts must have the same keys (the type checks it).
 * Keys are grouped by the part of the bot that says them; add new ones to the right group.
 */
export const en = {
  // --- general ---
  languageName: "English",
  unknownError: "Something went wrong on our side. Please try again in a moment.",

  // --- turns (jobs/) ---
  thinking: "🤔 Thinking…",
  stillWorking: (p: { minutes: number }) => `⏳ Still working... (${p.minutes} min)`,
};

export type Messages = typeof en;
