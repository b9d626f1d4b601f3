import type { InlineKeyboardMarkup } from "grammy/types";
import type { ButtonIntent } from "../../src/chat/message.js";
import type { Button } from "../../src/chat/outbox.js";

const PREFIX = "nemo:";
const INTENTS: readonly ButtonIntent[] = ["export", "timeline", "credits", "timeline-refresh"];

/** One row of inline buttons; each press comes back as a callback query carrying `nemo:<intent>`. */
export function inlineKeyboard(buttons: Button[] | undefined): InlineKeyboardMarkup | undefined {
  if (!buttons || buttons.length === 0) return undefined;
  return { inline_keyboard: [buttons.map((b) => ({ text: b.label, callback_data: `${PREFIX}${b.intent}` }))] };
}

/** The intent a callback query's data stands for, or undefined for data that is not ours. */
export function intentOfCallback(data: string | undefined): ButtonIntent | undefined {
  if (!data?.startsWith(PREFIX)) return undefined;
  const intent = data.slice(PREFIX.length);
  return INTENTS.find((i) => i === intent);
}
