import type { ChatAttachment, Locale } from "../../src/chat/message.js";
import { formatBytes } from "../../src/chat/error-text.js";
import { messages } from "../../src/i18n/index.js";
import { isAcceptedFile, type SkillProfile } from "../../src/nemo/skills.js";

/** What the adapter needs of the skill profile. */
export type SkillLimits = Pick<SkillProfile, "acceptedFormats" | "maxFileBytes">;

const MB = 1024 * 1024;
/** The cloud Bot API's `getFile` refuses anything bigger. */
export const CLOUD_DOWNLOAD_LIMIT = 20 * MB;
/** What a local Bot API server (`--local`) uploads at most. */
export const LOCAL_UPLOAD_LIMIT = 2000 * MB;

/**
 * The one rule only Telegram knows, checked BEFORE any download: the cloud Bot API will not hand
 * a bot a file over 20 MB. Returns the file that breaks it, if any.
 *
 * The skill's own rules (file types, its 200 or 500 MB maximum) are the router's: it answers them
 * for every platform in the same words (src/router/handlers/upload.ts, src/chat/error-text.ts).
 * So a file of a type the backend does not take, or one over the skill's maximum, is left to the
 * router: telling someone to trim a PDF, or a 600 MB file only to 20 MB, would be the wrong advice.
 */
export function overCloudLimit(attachments: readonly ChatAttachment[], rules: { localApi: boolean; skill: SkillLimits }): ChatAttachment | undefined {
  if (rules.localApi) return undefined;
  if (attachments.some((a) => !isAcceptedFile(a.name, a.mimeType) || (a.size ?? 0) > rules.skill.maxFileBytes)) return undefined;
  return attachments.find((a) => (a.size ?? 0) > CLOUD_DOWNLOAD_LIMIT);
}

/** How to get the file through: trim or compress it, and that the operator can lift the limit. */
export function cloudLimitText(attachment: ChatAttachment, locale: Locale, skill: SkillLimits): string {
  return messages(locale).telegramCloudLimit({ size: formatBytes(attachment.size ?? 0), localLimit: formatBytes(skill.maxFileBytes) });
}
