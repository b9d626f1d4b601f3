import { isNemoError } from "../../errors.js";
import type { Handler, RouteContext } from "../types.js";

const CLEAR_WORDS = new Set(["clear", "reset", "remove", "forget", "delete", "清除"]);
/** Longer than any bearer token NemoVideo issues (and than a JWT with room to spare). */
export const MAX_TOKEN_LENGTH = 512;
/** What a bearer token is made of (base64url, JWT, `nmv_usr_…`): no blanks, line breaks or controls. */
const TOKEN_ALPHABET = /^[\w.~+/=:-]+$/;

/**
 * /token <value>: the user's own NemoVideo token. Only in a private chat, stored encrypted, the
 * message holding it deleted where the platform allows, and never repeated back or logged.
 */
export const token: Handler<{ kind: "command"; command: "token"; args: string }> = async (ctx, intent) => {
  const value = intent.args.trim();
  const { accounts, nemo } = ctx.deps;
  const { userKey } = ctx.message;

  if (value !== "" && ctx.message.chatKind === "group") {
    await ctx.reply(ctx.t.tokenRefusedGroup({ deleted: await deleteTheMessage(ctx) }));
    return;
  }
  if (value === "") {
    await ctx.reply(ctx.t.tokenUsage({ kind: await accounts.tokenKind(userKey) }));
    return;
  }
  if (CLEAR_WORDS.has(value.toLowerCase())) {
    await ctx.reply((await accounts.clearUserToken(userKey)) ? ctx.t.tokenCleared : ctx.t.tokenNotSet);
    return;
  }
  // The token is out of the chat before anything else can fail.
  const deleted = await deleteTheMessage(ctx);
  if (!accounts.canStoreUserTokens) {
    await ctx.reply(ctx.t.tokenStorageOff({ deleted }));
    return;
  }
  // A value that can never work is not stored, not even "unverified", and never reaches the backend.
  if (value.length > MAX_TOKEN_LENGTH || !TOKEN_ALPHABET.test(value)) {
    await ctx.reply(ctx.t.tokenMalformed({ deleted, max: MAX_TOKEN_LENGTH }));
    return;
  }

  // One cheap call tells a mistyped token from a good one before it replaces what works.
  let verified = true;
  try {
    await nemo.credits({ token: value });
  } catch (error) {
    if (isNemoError(error, "token_invalid")) {
      await ctx.reply(ctx.t.tokenRejected);
      return;
    }
    verified = false;
  }
  await accounts.setUserToken(userKey, value);
  ctx.log.info({ verified }, "user set their own NemoVideo token");
  const saved = deleted ? ctx.t.tokenSaved : ctx.t.tokenSavedNotDeleted;
  await ctx.reply(verified ? saved : `${saved}\n${ctx.t.tokenSavedUnverified}`);
};

async function deleteTheMessage(ctx: RouteContext): Promise<boolean> {
  if (!ctx.outbox.deleteMessage) return false;
  try {
    return await ctx.outbox.deleteMessage(ctx.message.replyTo, ctx.message.messageId);
  } catch (error) {
    ctx.log.warn({ err: error }, "could not delete a message that held a token");
    return false;
  }
}
