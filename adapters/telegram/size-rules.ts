import type { ChatAttachment, Locale } from "../../src/chat/message.js";
import { formatBytes, formatList } from "../../src/chat/error-text.js";
import { messages } from "../../src/i18n/index.js";
import { fileExtension, isAcceptedFile, type SkillProfile } from "../../src/nemo/skills.js";

/** What the adapter needs of the skill profile. */
export type SkillLimits = Pick<SkillProfile, "acceptedFormats" | "maxFileBytes">;

const MB = 1024 * 1024;
/** The cloud Bot API's `getFile` refuses anything bigger. */
export const CLOUD_DOWNLOAD_LIMIT = 20 * MB;
/** What a local Bot API server (`--local`) uploads at most. */
export const LOCAL_UPLOAD_LIMIT = 2000 * MB;

export type SizeVerdict =
  | { ok: true }
  | { ok: false; reason: "cloud-limit" | "too-large" | "unsupported"; attachment: ChatAttachment };

/**
 * Checks every file of a message BEFORE any download: a type the backend does not take, a file
 * the cloud Bot API will not hand over (over 20 MB), or one over the skill's own maximum.
 * The first problem wins; a message with several files is refused as a whole, so nothing is
 * left half-uploaded.
 */
export function checkAttachments(attachments: readonly ChatAttachment[], rules: { localApi: boolean; skill: SkillLimits }): SizeVerdict {
  for (const attachment of attachments) {
    if (!isAccepted(attachment, rules.skill.acceptedFormats)) return { ok: false, reason: "unsupported", attachment };
  }
  for (const attachment of attachments) {
    const size = attachment.size ?? 0;
    if (size > rules.skill.maxFileBytes) return { ok: false, reason: "too-large", attachment };
    if (!rules.localApi && size > CLOUD_DOWNLOAD_LIMIT) return { ok: false, reason: "cloud-limit", attachment };
  }
  return { ok: true };
}

/** The words for a refused file, in the user's language. */
export function verdictText(verdict: Exclude<SizeVerdict, { ok: true }>, locale: Locale, skill: SkillLimits): string {
  const m = messages(locale);
  switch (verdict.reason) {
    case "unsupported":
      return m.errUnsupportedFile({ formats: formatList(skill.acceptedFormats) });
    case "too-large":
      return m.errFileTooLarge({ limit: formatBytes(skill.maxFileBytes) });
    case "cloud-limit":
      return m.telegramCloudLimit({ size: formatBytes(verdict.attachment.size ?? 0), localLimit: formatBytes(skill.maxFileBytes) });
  }
}

/** The backend's own rule (src/nemo/skills.ts), narrowed to this skill's formats. */
function isAccepted(attachment: ChatAttachment, formats: readonly string[]): boolean {
  if (!isAcceptedFile(attachment.name, attachment.mimeType)) return false;
  const ext = fileExtension(attachment.name);
  return ext === undefined || formats.includes(ext);
}
