import type { Command, Intent } from "../chat/intents.js";
import { cancel } from "./handlers/cancel.js";
import { credits } from "./handlers/credits.js";
import { exportVideo } from "./handlers/export.js";
import { help, unknownCommand } from "./handlers/help.js";
import { lang } from "./handlers/lang.js";
import { newSession } from "./handlers/new-session.js";
import { start } from "./handlers/start.js";
import { status } from "./handlers/status.js";
import { timeline } from "./handlers/timeline.js";
import { token } from "./handlers/token.js";
import { turn } from "./handlers/turn.js";
import { upload, uploadHint } from "./handlers/upload.js";
import type { Handler, RouteContext } from "./types.js";

/** The route table: one handler per command and per intent (a Composer with every route in sight). */
const COMMAND_ROUTES: { [C in Command]: Handler<{ kind: "command"; command: C; args: string }> } = {
  start,
  help,
  new: newSession,
  credits,
  status,
  timeline,
  export: exportVideo,
  cancel,
  token,
  lang,
};

type IntentOf<K extends Intent["kind"]> = Extract<Intent, { kind: K }>;

const INTENT_ROUTES: { [K in Exclude<Intent["kind"], "command">]: Handler<IntentOf<K>> } = {
  "unknown-command": unknownCommand,
  credits,
  timeline,
  export: exportVideo,
  upload,
  "upload-hint": uploadHint,
  turn,
  // A sticker, an empty mention, a blank line: say what the bot takes rather than stay silent.
  empty: async (ctx) => ctx.reply(ctx.t.emptyHint),
  "too-long": async (ctx, intent) => ctx.reply(ctx.t.textTooLong({ max: intent.max })),
  "not-for-us": async () => undefined,
};

export async function route(ctx: RouteContext, intent: Intent): Promise<void> {
  if (intent.kind === "command") {
    const handler = COMMAND_ROUTES[intent.command] as Handler<typeof intent>;
    return handler(ctx, intent);
  }
  const handler = INTENT_ROUTES[intent.kind] as Handler<typeof intent>;
  return handler(ctx, intent);
}
