import type { ChatAttachment, Locale } from "../../src/chat/message.js";
import { formatBytes, formatList } from "../../src/chat/error-text.js";
import { messages } from "../../src/i18n/index.js";
import { fileExtension, isAcceptedFile, type SkillProfile } from "../../src/nemo/skills.js";

/** What the adapter needs of the skill profile. */
export type SkillLimits = Pick<SkillProfile, "acceptedFormats" | "maxFileBytes">;

/**
 * Checks a message's files before anything is fetched or queued: the skill's formats, then its
 * maximum size (Discord says both in the interaction payload). Undefined when all are fine, else the
 * words for the user; a message with one bad file is refused whole, so nothing is half-uploaded.
 */
export function refuseAttachments(attachments: readonly ChatAttachment[], skill: SkillLimits, locale: Locale): string | undefined {
  const m = messages(locale);
  for (const attachment of attachments) {
    const ext = fileExtension(attachment.name);
    const accepted = isAcceptedFile(attachment.name, attachment.mimeType) && (ext === undefined || skill.acceptedFormats.includes(ext));
    if (!accepted) return m.errUnsupportedFile({ formats: formatList(skill.acceptedFormats) });
  }
  for (const attachment of attachments) {
    if ((attachment.size ?? 0) > skill.maxFileBytes) return m.errFileTooLarge({ limit: formatBytes(skill.maxFileBytes) });
  }
  return undefined;
}
