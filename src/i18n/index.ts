import type { Locale } from "../chat/message.js";
import { en, type Messages } from "./en.js";
import { zhCN } from "./zh-CN.js";

export type { Messages };

const catalogs: Record<Locale, Messages> = { en, "zh-CN": zhCN };

/** The messages of a locale: `messages(locale).stillWorking({ minutes: 2 })`. */
export function messages(locale: Locale): Messages {
  return catalogs[locale] ?? en;
}

/** Maps a platform language tag (`zh-hans`, `zh-CN`, `en-US`, `zh`) to a locale we speak. */
export function localeFromTag(tag: string | null | undefined): Locale {
  // Platforms' payloads are data from outside: anything but a string is no language.
  if (typeof tag !== "string" || tag === "") return "en";
  return tag.toLowerCase().startsWith("zh") ? "zh-CN" : "en";
}
