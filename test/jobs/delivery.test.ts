import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TelegramRateLimitedError } from "../../adapters/telegram/errors.js";
import { backoffDelay } from "../../jobs/delivery.js";
import { deliveriesDir, sweepDeliveryFiles } from "../../jobs/export-files.js";
import { loadConfig } from "../../src/config.js";
import { RateLimitedError, SendSlotBusyError } from "../../src/errors.js";
import { messages } from "../../src/i18n/index.js";
import { looksLikeMp4, makeTestClip } from "../helpers/media.js";
import type { OutboxEntry } from "../helpers/recording-outbox.js";
import { startLocalServer, type LocalServer } from "../nemo/local-server.js";
import { envelopeOf, startHarness, until, type Harness } from "./harness.js";

const en = messages("en");
type Status = Extract<OutboxEntry, { type: "status" }>;

/** Uploads a clip for `user` and waits until it is in the project. */
async function withClip(h: Harness, user: number, clip: string): Promise<string> {
  const attachment = { id: `clip-${user}`, name: "clip.mp4", size: undefined, mimeType: "video/mp4", kind: "video" as const };
  await h.queue.submit(envelopeOf(user, { kind: "upload", attachments: [{ ...attachment, source: { type: "local-path", path: clip } }] }));
  await h.outbox.waitFor(en.uploadDone({ names: ["clip.mp4"] }), { chatId: String(user), type: "text", timeoutMs: 15_000 });
  return h.sessionIdOf({ platform: "telegram", userKey: `telegram:${user}`, chatId: String(user), locale: "en" });
}

/** The export's status message (the one that said "Preparing your export"). */
function exportStatus(h: Harness, user: number): Status | undefined {
  return h.outbox.entries.find((e): e is Status => e.type === "status" && e.to.chatId === String(user) && e.history.includes(en.exportPreparing));
}

async function statusEndsAt(h: Harness, user: number, text: string): Promise<void> {
  await until(() => exportStatus(h, user)?.text === text, 10_000, `the status to read "${text}" (it reads "${exportStatus(h, user)?.text ?? "nothing"}")`);
}

const videosOf = (h: Harness, user: number) => h.outbox.entries.filter((e) => e.type === "video" && e.to.chatId === String(user));
const linksOf = (h: Harness, user: number) => h.outbox.entries.filter((e): e is Extract<OutboxEntry, { type: "link" }> => e.type === "link" && e.to.chatId === String(user));

describe("a finished render is never lost", () => {
  let h: Harness;
  let clip: string;
  let user = 700;
  let fullSize = 0;
  beforeAll(async () => {
    // Retries give up after 1.5 s here (30 min in production), so "the link instead" is reachable.
    h = await startHarness({ config: { DELIVERY_RETRY_FOR_MS: "1500" } });
    clip = await makeTestClip(mkdtempSync(join(tmpdir(), "delivery-clip-")));
  });
  afterAll(async () => {
    await h.close();
  });
  const next = () => (user += 1);

  /** Exports for a new user with `prepare` run first; resolves with the user once the status is final. */
  async function exportWith(prepare: (sessionId: string) => void | Promise<void>, finalText = en.exportDone): Promise<number> {
    const u = next();
    const sessionId = await withClip(h, u, clip);
    await prepare(sessionId);
    await h.queue.submit(envelopeOf(u, { kind: "export" }));
    await statusEndsAt(h, u, finalText);
    return u;
  }

  it("a plain export: the whole MP4 arrives, and its download file is removed once delivered", async () => {
    const u = await exportWith(() => undefined);
    const [video] = videosOf(h, u);
    expect(video?.type === "video" && looksLikeMp4(video.bytes)).toBe(true);
    fullSize = video?.type === "video" ? video.bytes.length : 0;
    expect(fullSize).toBeGreaterThan(1000);
    expect(readdirSync(deliveriesDir(h.config.EXPORT_DIR))).toEqual([]);
  });

  for (const kind of ["download-reset", "download-truncated"] as const) {
    it(`a download cut off halfway (${kind}) is resumed and the whole video arrives once`, async () => {
      const before = h.emulator.counters.requests("download");
      const u = await exportWith((sessionId) => h.emulator.faults.add({ kind, sessionId }));
      const videos = videosOf(h, u);
      expect(videos).toHaveLength(1);
      const video = videos[0];
      expect(video?.type === "video" && video.bytes.length).toBe(fullSize);
      expect(video?.type === "video" && looksLikeMp4(video.bytes)).toBe(true);
      expect(h.emulator.counters.requests("download") - before).toBeGreaterThanOrEqual(2);
      expect(h.outbox.texts(String(u))).not.toContain(en.unknownError);
    });
  }

  it("503s on the download are waited out as delayed steps, then the video arrives", async () => {
    const u = await exportWith((sessionId) => h.emulator.faults.add({ kind: "server-error", status: 503, route: "download", sessionId, times: 4 }));
    expect(videosOf(h, u)).toHaveLength(1);
  });

  it("a download that keeps failing past the retry window: the user gets the render's link, never only an error", async () => {
    const u = await exportWith(
      (sessionId) => h.emulator.faults.add({ kind: "server-error", status: 503, route: "download", sessionId, times: 10_000 }),
      en.exportDoneLink,
    );
    h.emulator.faults.clear();
    const [link] = linksOf(h, u);
    expect(link?.text).toContain(en.exportLinkInstead);
    expect(link?.url).toMatch(new RegExp(`^${h.emulator.url}/cdn/renders/render_`));
    expect(h.outbox.texts(String(u))).not.toContain(en.unknownError);
    expect(videosOf(h, u)).toHaveLength(0);
    expect(readdirSync(deliveriesDir(h.config.EXPORT_DIR))).toEqual([]);
  });

  it("a platform's 429 on the video: retry_after is honoured as a delayed step and the file is not fetched again", async () => {
    const u = next();
    await withClip(h, u, clip);
    const before = h.emulator.counters.requests("download");
    const refused = new TelegramRateLimitedError("sendVideo", 0.4);
    h.outbox.failNext("sendVideo", refused);
    // When the refused post was tried (the recording outbox throws it as the call comes in).
    let refusedAt: number | undefined;
    const post = h.outbox.sendVideo.bind(h.outbox);
    h.outbox.sendVideo = (...args) => {
      refusedAt ??= Date.now();
      return post(...args);
    };
    await h.queue.submit(envelopeOf(u, { kind: "export" }));
    await h.outbox.waitFor(en.exportCaption, { chatId: String(u), type: "video", timeoutMs: 15_000 });
    const postedAt = Date.now();
    h.outbox.sendVideo = post;
    // The one that worked came after retry_after.
    expect(postedAt - (refusedAt ?? postedAt)).toBeGreaterThanOrEqual(400);
    expect(videosOf(h, u)).toHaveLength(1);
    expect(h.emulator.counters.requests("download") - before).toBe(1);
    await statusEndsAt(h, u, en.exportDone);
  });

  it("a chat that keeps refusing the video: the link goes instead and the status does not stay at 'Sending your video…'", async () => {
    const u = await exportWith(() => {
      for (let i = 0; i < 3; i++) h.outbox.failNext("sendVideo", new Error("Bad Request: wrong file identifier"));
    }, en.exportDoneLink);
    expect(linksOf(h, u)).toHaveLength(1);
    expect(exportStatus(h, u)?.text).toBe(en.exportDoneLink);
    expect(h.outbox.texts(String(u))).not.toContain(en.unknownError);
  });

  it("a refused final status edit is tried again until the status is final", async () => {
    const u = next();
    await withClip(h, u, clip);
    await h.queue.submit(envelopeOf(u, { kind: "export" }));
    await h.outbox.waitFor(en.exportCaption, { chatId: String(u), type: "video", timeoutMs: 15_000 });
    // The status edit after the video is refused twice (flood control, a network blip).
    h.outbox.failNext("upsertStatus");
    h.outbox.failNext("upsertStatus");
    await statusEndsAt(h, u, en.exportDone);
  });

  it("a final status edit refused by a busy platform is never given up: it waits its turn however often it is refused", async () => {
    const u = next();
    await withClip(h, u, clip);
    await h.queue.submit(envelopeOf(u, { kind: "export" }));
    await h.outbox.waitFor(en.exportCaption, { chatId: String(u), type: "video", timeoutMs: 15_000 });
    // More refusals than a failing edit is allowed: a busy bot is not a failure, and "Done" must show.
    for (let i = 0; i < 10; i++) h.outbox.failNext("upsertStatus", new RateLimitedError("busy (test)", 20));
    await statusEndsAt(h, u, en.exportDone);
  });

  it("a video that waits for a send slot parks without counting it as a failure: the video goes, not the link", async () => {
    const u = next();
    await withClip(h, u, clip);
    // Longer in all than the retry window (1.5 s here), after which failures turn into the link.
    for (let i = 0; i < 4; i++) h.outbox.failNext("sendVideo", new SendSlotBusyError("no send slot (test)", 500));
    await h.queue.submit(envelopeOf(u, { kind: "export" }));
    await statusEndsAt(h, u, en.exportDone);
    expect(videosOf(h, u)).toHaveLength(1);
    expect(linksOf(h, u)).toHaveLength(0);
  });

  it("an output URL to another host is never fetched and never posted; the video comes from the API", async () => {
    const metrics = await startLocalServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("nemo_bot_messages_total 42");
    });
    try {
      const u = await exportWith((sessionId) => h.emulator.faults.add({ kind: "output-url", url: `${metrics.url}/metrics`, sessionId, times: 100 }));
      h.emulator.faults.clear();
      expect(metrics.requests).toHaveLength(0);
      expect(videosOf(h, u)).toHaveLength(1);
    } finally {
      await metrics.close();
    }
  });

  it("too large for the chat with a foreign output URL: no link to it, the user is told", async () => {
    let metrics: LocalServer | undefined;
    h.outbox.maxVideo = 100;
    try {
      metrics = await startLocalServer((_req, res) => void res.end("x"));
      const url = `${metrics.url}/metrics`;
      const u = await exportWith((sessionId) => h.emulator.faults.add({ kind: "output-url", url, sessionId, times: 100 }), en.exportDoneNoLink);
      h.emulator.faults.clear();
      expect(h.outbox.transcript(String(u))).not.toContain(metrics.url);
      expect(h.outbox.texts(String(u))).toContain(en.exportNoLink);
      expect(metrics.requests).toHaveLength(0);
    } finally {
      h.outbox.maxVideo = 50 * 1024 * 1024;
      await metrics?.close();
    }
  });
});

describe("the export limit holds on every path", () => {
  let h: Harness;
  let clip: string;
  beforeAll(async () => {
    h = await startHarness({ config: { EXPORTS_PER_HOUR: "1" } });
    clip = await makeTestClip(mkdtempSync(join(tmpdir(), "delivery-quota-")));
  });
  afterAll(async () => {
    await h.close();
  });

  it("an export started by the backend's 'click Export' takes the same hourly allowance as /export", async () => {
    const u = 900;
    const sessionId = await withClip(h, u, clip);
    h.emulator.faults.add({ kind: "says-export", sessionId, times: 2 });
    await h.queue.submit(envelopeOf(u, { kind: "turn", text: 'add the title "One"' }));
    await h.outbox.waitFor(en.exportCaption, { chatId: String(u), type: "video", timeoutMs: 15_000 });
    // The allowance (1 an hour) is used: the next "click Export" is answered with the limit.
    await h.queue.submit(envelopeOf(u, { kind: "turn", text: 'add the title "Two"' }));
    await h.outbox.waitFor(/used your 1 exports for this hour/, { chatId: String(u), type: "text", timeoutMs: 15_000 });
    expect(h.emulator.counters.rendersStarted()).toHaveLength(1);
    expect(h.outbox.entries.filter((e) => e.type === "video")).toHaveLength(1);
  });
});

describe("delivery files", () => {
  it("the sweep removes delivery files older than a day and nothing else", async () => {
    const exportDir = mkdtempSync(join(tmpdir(), "sweep-"));
    const dir = deliveriesDir(exportDir);
    mkdirSync(dir, { recursive: true });
    const old = join(dir, "render_old.mp4.part");
    const fresh = join(dir, "render_new.mp4");
    const terminalCopy = join(exportDir, "nemovideo.mp4");
    for (const path of [old, fresh, terminalCopy]) writeFileSync(path, "x");
    const twoDaysAgo = (Date.now() - 2 * 24 * 3600_000) / 1000;
    utimesSync(old, twoDaysAgo, twoDaysAgo);
    utimesSync(terminalCopy, twoDaysAgo, twoDaysAgo);
    expect(await sweepDeliveryFiles(exportDir)).toBe(1);
    expect([existsSync(old), existsSync(fresh), existsSync(terminalCopy)]).toEqual([false, true, true]);
    expect(readFileSync(fresh, "utf8")).toBe("x");
  });

  it("with the defaults, a failing delivery is retried for at least 30 minutes", () => {
    const config = loadConfig({});
    let waited = 0;
    let tries = 0;
    // The retry that would start after the window is the first one not scheduled.
    while (waited < config.DELIVERY_RETRY_FOR_MS) {
      tries += 1;
      waited += backoffDelay(config.DELIVERY_RETRY_MS, tries);
    }
    expect(config.DELIVERY_RETRY_FOR_MS).toBeGreaterThanOrEqual(30 * 60_000);
    expect(backoffDelay(config.DELIVERY_RETRY_MS, 1)).toBe(5_000);
    expect(backoffDelay(config.DELIVERY_RETRY_MS, 50)).toBe(5 * 60_000);
    expect(tries).toBeGreaterThan(5);
  });
});
