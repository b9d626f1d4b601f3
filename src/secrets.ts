/**
 * The one list of what a secret looks like in text, used for log lines (src/log.ts), chat text
 * (src/chat/gui-translation.ts) and error messages. Every pattern is linear-time (lint:
 * regexp/no-super-linear-*): they run over backend answers and users' words.
 */

/** Telegram bot tokens, with the colon as is or URL-encoded (`%3A`), alone or after `bot`. */
const TELEGRAM_TOKEN = /\bbot\d{5,}(?::|%3A)[\w-]{20,}|\b\d{5,}(?::|%3A)[\w-]{30,}/gi;
/** NemoVideo tokens (`nmv_usr_…`). */
const NEMO_TOKEN = /\bnmv_[\w-]{4,}/g;
/** `Authorization: Bearer …` and Discord's `Authorization: Bot …`. */
const AUTH_SCHEME = /\b(?:Bearer|Bot)\s+[\w.~+/=-]{16,}|\bBearer\s+[\w.~+/=-]{6,}/gi;
/** JSON Web Tokens. */
const JWT = /\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]{4,}/g;
/** Discord bot tokens: three dot-separated base64 parts, the first the bot's id. */
const DISCORD_TOKEN = /\b[MNO][\w-]{22,}\.[\w-]{5,}\.[\w-]{20,}/g;
/** Common API key prefixes. */
const API_KEY = /\b(?:sk|pk|ghp|gho|xox[abp])[-_][\w-]{16,}/g;

/** Patterns of things that are or may be credentials, each replaced whole. */
export const SECRET_PATTERNS: readonly RegExp[] = [TELEGRAM_TOKEN, NEMO_TOKEN, AUTH_SCHEME, JWT, DISCORD_TOKEN, API_KEY];

/** `token: abc`, `botToken=abc`, `"api_key": "abc"`: the name stays, the value goes. */
export const NAMED_SECRET =
  /\b((?:access[_-]?|refresh[_-]?|bot[_-]?|auth[_-]?)?token|api[_-]?key|secret|password|authorization|client[_-]?secret)(\s*(?:["']\s*)?[:=]\s*["']?)([^\s"',;)}\]]{4,})/gi;

/** Query parameters that carry credentials in signed or authenticated URLs. */
export const SECRET_QUERY = /([?&](?:token|access_token|key|api_key|sig|signature|auth|x-amz-signature|x-amz-credential|x-amz-security-token)=)[^&\s"'<>]+/gi;

/** A URL, taken whole (one linear pass), to be judged as a whole. */
export const URL_PATTERN = /https?:\/\/[^\s"'<>]+/gi;

/** A Telegram file URL holds the bot token; so does any Bot API URL: the whole URL goes. */
const BOT_API_PATH = /\/(?:file\/)?bot\d+(?::|%3A)/i;

/** Field names whose values are secrets whatever they look like (`botToken`, `authorization`, `TOKEN_KEY`). */
export const SECRET_KEY = /^(?:auth|cookie|set-cookie)$|(?:token|secret|password|passwd|authorization|api[_-]?key|token[_-]?key|client[_-]?secret|file[_-]?url)$/i;

/** `text` with every secret the list knows replaced by `placeholder`. */
export function scrubText(text: string, placeholder: string): string {
  let out = text.replace(URL_PATTERN, (url) => (BOT_API_PATH.test(url) ? placeholder : url.replace(SECRET_QUERY, `$1${placeholder}`)));
  for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, placeholder);
  return out.replace(NAMED_SECRET, (_all, name: string, sep: string) => `${name}${sep}${placeholder}`);
}
