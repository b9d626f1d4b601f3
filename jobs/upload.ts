import type { SessionContext } from "../src/accounts/types.js";
import type { ChatAttachment } from "../src/chat/message.js";
import { messages } from "../src/i18n/index.js";
import { UploadSourceError } from "../src/nemo/multipart.js";
import type { UploadResult } from "../src/nemo/types.js";
import { isRedisUnavailable } from "../src/redis/unavailable.js";
import { emit, quickButtons, type ItemRun, type ItemStep, type JobContext, type StepOutcome } from "./context.js";
import { JobLockLostError } from "./job-control.js";
import { failureText, noteReplacedSession } from "./replies.js";
import { StatusMessage } from "./status-message.js";
import { keepThumbnail } from "./thumbnail.js";
import { landedEarlier, mayHaveLanded, recordIntent } from "./upload-intent.js";

/**
 * Platform files into the session. Bytes are streamed from the adapter's opener straight into the
 * multipart request: a Telegram file URL holds the bot token, so it never leaves this process.
 * Only a `public-url` source (Discord's signed CDN link) is handed to NemoVideo as a URL.
 *
 * Each file's result is recorded (keyed by item and attachment id) before the item is acknowledged,
 * so a retried or resumed upload skips the files already in the session instead of adding them twice.
 * A file whose answer was lost (the worker killed before that record, a 5xx, a timeout) is looked for
 * in the state before it goes again (upload-intent.ts).
 */

const ACTIVITY_EVERY_MS = 4_500;

export async function runUpload(ctx: JobContext, run: ItemRun): Promise<StepOutcome> {
  const { envelope } = run;
  if (envelope.item.kind !== "upload") throw new Error("runUpload needs an upload");
  const attachments = envelope.item.attachments;
  const m = messages(envelope.locale);
  const outbox = ctx.outbox(envelope.replyTo.platform);
  let step: ItemStep = { ...run.step, startedAt: run.step.startedAt ?? Date.now() };
  const status = new StatusMessage(outbox, envelope.replyTo, step.statusRef, ctx.pacing, ctx.logger, async (ref) => {
    step = { ...step, statusRef: ref };
    await run.save(step);
  });

  // "uploading video…" lasts ~5 s on Telegram: renew it while the bytes move.
  const activity = () => void outbox.showActivity?.(envelope.replyTo, "upload_video").catch(() => undefined);
  activity();
  const activityTimer = setInterval(activity, ACTIVITY_EVERY_MS);

  const added: string[] = [];
  const failed: { name: string; error: unknown }[] = [];
  let who: SessionContext | undefined;
  try {
    for (const [index, attachment] of attachments.entries()) {
      const markerId = `${envelope.id}/${attachment.id}`;
      if ((await ctx.markers.get("upload", markerId)) !== null) {
        added.push(attachment.name);
        continue;
      }
      // A run whose lock lapsed may share this item with a second run: only the holder adds files.
      if (!(await run.stillOurs())) throw new JobLockLostError(envelope.id);
      status.set(m.uploading({ name: attachment.name, index: index + 1, total: attachments.length }));
      // An earlier try whose answer never came (a killed worker, a shutdown mid-upload) may have
      // put the file in already: the state says so, and then it is not sent again (upload-intent.ts).
      let landed = await landedEarlier(ctx, envelope, markerId, attachment.name);
      if (!landed) {
        try {
          landed = await ctx.accounts.withSession(envelope.session, async (session) => {
            who = session;
            await noteReplacedSession(ctx, envelope, session);
            await recordIntent(ctx, markerId, session, attachment.name);
            return { result: await uploadOne(ctx, session, attachment, run.signal), sessionId: session.sessionId };
          });
        } catch (error) {
          // Stopping (shutdown): hand the item back; finished files are skipped when it resumes.
          if (run.signal.aborted) return { done: false, delayMs: 0, step };
          // Redis unreachable (a restart) is no refusal of the file: the drainer tries the item again
          // later, skipping the files already added.
          if (isRedisUnavailable(error)) throw error;
          // A 5xx, a reset or a timeout may hide a file the backend took: look before calling it failed.
          if (mayHaveLanded(error)) landed = await landedEarlier(ctx, envelope, markerId, attachment.name).catch(() => undefined);
          if (!landed) {
            ctx.logger.info({ err: error, item: envelope.id }, "upload of one file failed");
            failed.push({ name: attachment.name, error });
            continue;
          }
        }
      }
      await keepThumbnail(ctx, landed.sessionId, attachment, landed.result, run.signal);
      await ctx.markers.set("upload", markerId, JSON.stringify(landed.result));
      added.push(attachment.name);
    }
  } finally {
    clearInterval(activityTimer);
  }

  // Recorded before the answer: the caption's request queued behind this upload reads it to know
  // whether its files are in the project (upload-dependency.ts).
  await ctx.markers.set("uploaded", envelope.id, JSON.stringify({ failed: failed.map((f) => f.name) }));
  await status.show(added.length > 0 ? m.turnDone : m.turnStopped);
  if (failed.length > 0) {
    const names = failed.map((f) => f.name);
    // The file never left the chat platform (its download failed): not the backend's fault, and
    // nothing the user did wrong but to send it again.
    const notArrived = failed.every((f) => f.error instanceof UploadSourceError);
    const reason = notArrived ? m.uploadNotArrived({ names }) : failureText(failed[0]?.error, envelope.locale, ctx.config, who, ctx.events);
    await outbox.sendText(envelope.replyTo, added.length > 0 && !notArrived ? `${m.uploadSomeFailed({ names })}\n${reason}` : reason);
  } else {
    await outbox.sendText(envelope.replyTo, m.uploadDone({ names: added }), { buttons: quickButtons(envelope.locale) });
  }
  emit(ctx.events, "onUploadDone", Date.now() - (step.startedAt ?? Date.now()), added.length);
  return { done: true };
}

async function uploadOne(ctx: JobContext, session: SessionContext, attachment: ChatAttachment, signal: AbortSignal): Promise<UploadResult> {
  const { source } = attachment;
  if (source.type === "public-url") return ctx.nemo.uploadUrls(session.auth, session.sessionId, [source.url]);
  return ctx.nemo.uploadFiles(
    session.auth,
    session.sessionId,
    [
      {
        fileName: attachment.name,
        open: () => ctx.openAttachment(source, signal),
        ...(attachment.size === undefined ? {} : { size: attachment.size }),
        ...(attachment.mimeType === undefined ? {} : { contentType: attachment.mimeType }),
      },
    ],
    { signal },
  );
}
