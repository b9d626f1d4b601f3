import { formatBytes, formatList } from "../../chat/error-text.js";
import { classify } from "../../chat/intents.js";
import type { ChatAttachment } from "../../chat/message.js";
import { NemoError } from "../../errors.js";
import { fileExtension, isAcceptedFile, type SkillProfile } from "../../nemo/skills.js";
import type { QuotaKind } from "../../quota/limits.js";
import type { WorkItem } from "../../work/types.js";
import type { Handler } from "../types.js";

/**
 * Files: type and size are checked against the skill profile before anything is queued (a refused
 * file costs nothing and nothing half-happens). The caption becomes the edit after the upload, or
 * an export when it only says "export".
 */
export const upload: Handler<{ kind: "upload"; caption?: string }> = async (ctx, intent) => {
  const { skill } = ctx.deps;
  const attachments = ctx.message.attachments;
  if (!attachments.every((a) => acceptedBySkill(a, skill))) {
    await ctx.reply(await ctx.explain(new NemoError("unsupported_file", "refused before upload: file type")));
    return;
  }
  if (attachments.some((a) => a.size !== undefined && a.size > skill.maxFileBytes)) {
    await ctx.reply(await ctx.explain(new NemoError("file_too_large", "refused before upload: file size")));
    return;
  }

  const items: WorkItem[] = [{ kind: "upload", attachments }];
  const costs: QuotaKind[] = ["upload"];
  if (intent.caption) {
    const then = classify({ text: intent.caption, attachments: [], chatKind: ctx.message.chatKind });
    if (then.kind === "export" || (then.kind === "command" && then.command === "export")) {
      items.push({ kind: "export" });
      costs.push("export");
    } else if (then.kind === "turn") {
      items.push({ kind: "turn", text: then.text, exportAfter: then.exportAfter });
      costs.push("turn", ...(then.exportAfter ? (["export"] as const) : []));
    }
    // Any other caption ("upload", "status") only describes the file: the upload is the answer.
  }
  await ctx.submit(items, costs);
};

/** "upload" / "上传" with no file: how to send one. */
export const uploadHint: Handler = async (ctx) => {
  const { skill } = ctx.deps;
  await ctx.reply(ctx.t.uploadHint({ formats: formatList(skill.acceptedFormats), maxSize: formatBytes(skill.maxFileBytes) }));
};

/**
 * The name's extension decides; without one the MIME type; without either, a file the platform
 * itself calls a video, photo or audio is given the benefit of the doubt (the backend has the last word).
 */
function acceptedBySkill(attachment: ChatAttachment, skill: SkillProfile): boolean {
  const ext = fileExtension(attachment.name);
  if (ext !== undefined) return skill.acceptedFormats.includes(ext);
  if (attachment.mimeType !== undefined) return isAcceptedFile(attachment.name, attachment.mimeType);
  return attachment.kind !== "document";
}
