import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messages } from "../../src/i18n/index.js";
import { makeTestClip, makeTestImage } from "../helpers/media.js";
import { envelopeOf, sessionOf, startHarness, statusesOf, until, userWithClip, type Harness } from "./harness.js";

const en = messages("en");

describe("uploads", () => {
  let h: Harness;
  let dir: string;
  beforeAll(async () => {
    h = await startHarness();
    dir = mkdtempSync(join(tmpdir(), "upload-"));
  });
  afterAll(async () => {
    await h.close();
  });

  it("streams an album into the session, shows 'uploading video', then runs the caption's edit after it", async () => {
    const clip = await makeTestClip(dir);
    const image = await makeTestImage(dir);
    const user = 700;
    await h.queue.submit(
      envelopeOf(user, {
        kind: "upload",
        attachments: [
          { id: "a1", name: "clip.mp4", size: undefined, mimeType: "video/mp4", kind: "video", source: { type: "local-path", path: clip } },
          { id: "a2", name: "photo.png", size: undefined, mimeType: "image/png", kind: "image", source: { type: "local-path", path: image } },
        ],
      }),
    );
    await h.queue.submit(envelopeOf(user, { kind: "turn", text: 'add the title "Caption"' }));
    await h.outbox.waitFor(/Caption/, { chatId: String(user), type: "text", timeoutMs: 10_000 });
    const sessionId = await h.sessionIdOf(sessionOf(user));
    expect(h.emulator.session(sessionId)?.uploads.map((u) => u.filename)).toEqual(["clip.mp4", "photo.png"]);
    const chat = h.outbox.entries.filter((e) => e.to.chatId === String(user));
    expect(chat.some((e) => e.type === "activity" && e.activity === "upload_video")).toBe(true);
    // The upload's answer comes before the caption's.
    const uploaded = chat.findIndex((e) => e.type === "text" && e.text.includes(en.uploadDone({ names: ["clip.mp4", "photo.png"] })));
    const answered = chat.findIndex((e) => e.type === "text" && e.text.includes("Caption"));
    expect(uploaded).toBeGreaterThanOrEqual(0);
    expect(uploaded).toBeLessThan(answered);
  });

  it("a project the backend lost is replaced during an upload, and the files go into the new one without asking for them again", async () => {
    const clip = await makeTestClip(dir);
    const user = 704;
    const lost = await h.sessionIdOf(sessionOf(user));
    h.emulator.faults.add({ kind: "session-lost", route: "upload", sessionId: lost });
    await h.queue.submit(
      envelopeOf(user, {
        kind: "upload",
        attachments: [{ id: "l1", name: "clip.mp4", size: undefined, mimeType: "video/mp4", kind: "video", source: { type: "local-path", path: clip } }],
      }),
    );
    await h.outbox.waitFor(en.uploadDone({ names: ["clip.mp4"] }), { chatId: String(user), type: "text", timeoutMs: 10_000 });
    const said = h.outbox.entries.filter((e) => e.to.chatId === String(user) && e.type === "text").map((e) => (e.type === "text" ? e.text : ""));
    expect(said).toContain(en.sessionReplacedWithFiles);
    expect(said).not.toContain(en.sessionReplaced);
    const replacement = await h.sessionIdOf(sessionOf(user));
    expect(replacement).not.toBe(lost);
    expect(h.emulator.session(replacement)?.uploads.map((u) => u.filename)).toEqual(["clip.mp4"]);
  });

  it("a retried upload does not add the same file twice", async () => {
    const clip = await makeTestClip(dir);
    const user = 701;
    const sessionId = await h.sessionIdOf(sessionOf(user));
    // The file goes in, then posting the result fails: the item is retried from its start.
    h.outbox.failNext("sendText");
    await h.queue.submit(
      envelopeOf(user, {
        kind: "upload",
        attachments: [{ id: "r1", name: "clip.mp4", size: undefined, mimeType: "video/mp4", kind: "video", source: { type: "local-path", path: clip } }],
      }),
    );
    await h.outbox.waitFor(en.uploadDone({ names: ["clip.mp4"] }), { chatId: String(user), type: "text", timeoutMs: 10_000 });
    // Only the retry could post that answer (the first attempt's post failed), and it added nothing.
    expect(h.emulator.session(sessionId)?.uploads).toHaveLength(1);
  });

  it("an upload whose answer was lost after the backend took the file (a gateway's 504) is added once, not reported failed", async () => {
    const clip = await makeTestClip(dir);
    const user = 706;
    const sessionId = await h.sessionIdOf(sessionOf(user));
    h.emulator.faults.add({ kind: "gateway-error-after-upload", sessionId, status: 504 });
    await h.queue.submit(
      envelopeOf(user, {
        kind: "upload",
        attachments: [{ id: "g1", name: "clip.mp4", size: undefined, mimeType: "video/mp4", kind: "video", source: { type: "local-path", path: clip } }],
      }),
    );
    await h.outbox.waitFor(en.uploadDone({ names: ["clip.mp4"] }), { chatId: String(user), type: "text", timeoutMs: 10_000 });
    expect(h.emulator.session(sessionId)?.uploads.map((u) => u.filename)).toEqual(["clip.mp4"]);
    expect(statusesOf(h, String(user)).map((s) => s.text)).toEqual([en.turnDone]);
  });

  it("a 5xx before the backend took the file is a failure, even with a file of that name in the project already", async () => {
    const clip = await makeTestClip(dir);
    const user = 707;
    await userWithClip(h, user, clip);
    const sessionId = await h.sessionIdOf(sessionOf(user));
    h.emulator.faults.add({ kind: "server-error", route: "upload", sessionId, status: 503 });
    await h.queue.submit(
      envelopeOf(user, {
        kind: "upload",
        attachments: [{ id: "s1", name: "clip.mp4", size: undefined, mimeType: "video/mp4", kind: "video", source: { type: "local-path", path: clip } }],
      }),
    );
    await h.outbox.waitFor(en.turnStopped, { chatId: String(user), type: "status", timeoutMs: 10_000 });
    expect(h.emulator.session(sessionId)?.uploads.map((u) => u.filename)).toEqual(["clip.mp4"]);
    expect(h.outbox.entries.filter((e) => e.type === "text" && e.to.chatId === String(user) && e.text === en.uploadDone({ names: ["clip.mp4"] }))).toHaveLength(1);
  });

  it("a Discord CDN link goes to NemoVideo as a URL upload, without fetching the bytes here", async () => {
    const user = 703;
    const url = "https://cdn.discordapp.com/attachments/1/2/clip.mp4?ex=abc&is=def&hm=123";
    await h.queue.submit(
      envelopeOf(user, {
        kind: "upload",
        attachments: [{ id: "d1", name: "clip.mp4", size: 1000, mimeType: "video/mp4", kind: "video", source: { type: "public-url", url } }],
      }),
    );
    // The test opener refuses anything but local paths: had it been asked, this upload would have failed.
    await h.outbox.waitFor(en.uploadDone({ names: ["clip.mp4"] }), { chatId: String(user), type: "text" });
    const sessionId = await h.sessionIdOf(sessionOf(user));
    expect(h.emulator.session(sessionId)?.uploads.map((u) => u.filename)).toEqual(["clip.mp4"]);
  });

  it("a file the backend refuses is explained", async () => {
    const clip = await makeTestClip(dir);
    const user = 702;
    const sessionId = await h.sessionIdOf(sessionOf(user));
    h.emulator.faults.add({ kind: "unsupported-file", sessionId });
    await h.queue.submit(
      envelopeOf(user, {
        kind: "upload",
        attachments: [{ id: "u1", name: "clip.mp4", size: undefined, mimeType: "video/mp4", kind: "video", source: { type: "local-path", path: clip } }],
      }),
    );
    await h.outbox.waitFor(/can't use that file type/, { chatId: String(user), type: "text" });
  });

  it("an album with a file that did not arrive: the caption's export does not run, a caption after a whole upload does", async () => {
    const clip = await makeTestClip(dir);
    const user = 705;
    const broken = envelopeOf(user, {
      kind: "upload",
      attachments: [
        { id: "p1", name: "clip.mp4", size: undefined, mimeType: "video/mp4", kind: "video", source: { type: "local-path", path: clip } },
        { id: "p2", name: "gone.mp4", size: undefined, mimeType: "video/mp4", kind: "video", source: { type: "local-path", path: join(dir, "gone.mp4") } },
      ],
    });
    await h.queue.submit(broken);
    await h.queue.submit({ ...envelopeOf(user, { kind: "export" }), dependsOn: broken.id });
    const whole = envelopeOf(user, {
      kind: "upload",
      attachments: [{ id: "p3", name: "again.mp4", size: undefined, mimeType: "video/mp4", kind: "video", source: { type: "local-path", path: clip } }],
    });
    await h.queue.submit(whole);
    await h.queue.submit({ ...envelopeOf(user, { kind: "turn", text: 'add the title "Second try"' }), dependsOn: whole.id });
    await h.outbox.waitFor(/Second try/, { chatId: String(user), type: "text", timeoutMs: 15_000 });
    // A skipped item's words end its queued status message when it had one, else come as a message.
    const said = h.outbox.entries
      .filter((e) => e.to.chatId === String(user) && (e.type === "text" || e.type === "status"))
      .map((e) => (e.type === "text" || e.type === "status" ? e.text : ""));
    expect(said).toContain(en.uploadNotArrived({ names: ["gone.mp4"] }));
    expect(said).toContain(en.skippedAfterFailedUpload({ names: ["gone.mp4"] }));
    expect(said.filter((t) => t.startsWith("⏭️"))).toHaveLength(1);
    expect(h.outbox.entries.some((e) => e.to.chatId === String(user) && e.type === "status" && /Preparing your export/.test(e.text))).toBe(false);
    // The skipped export waited in line with a status message of its own: it ends, not on its place.
    await until(() => !h.outbox.entries.some((e) => e.to.chatId === String(user) && e.type === "status" && e.text.startsWith("⏳")), 5_000, "no status left queued");
    expect(h.outbox.entries.some((e) => e.to.chatId === String(user) && e.type === "status" && e.text === en.skippedAfterFailedUpload({ names: ["gone.mp4"] }))).toBe(true);
  });
});
