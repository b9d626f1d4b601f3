import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ReplyHandle } from "../../src/chat/message.js";
import { en } from "../../src/i18n/en.js";
import { silentLogger } from "../../src/log.js";
import { summarizeTimeline } from "../../src/present/timeline-summary.js";
import { RedisThumbnails, shrinkThumbnail, type Thumbnails } from "../../src/present/thumbnails.js";
import { sendTimeline } from "../../src/present/timeline-reply.js";
import { RecordingOutbox } from "../helpers/recording-outbox.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";
import { beachDraft, thumbnailJpeg } from "./drafts.js";

const to: ReplyHandle = { platform: "telegram", chatId: "1", threadId: "telegram:1:", chatKind: "private" };

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});

describe("the timeline reply", () => {
  it("is a picture with the track summary as its caption and the buttons under it", async () => {
    const outbox = new RecordingOutbox();
    await sendTimeline({ outbox, to, locale: "en", draft: beachDraft, buttons: [{ intent: "export", label: "Export" }], logger: silentLogger });
    const [entry] = outbox.entries;
    expect(entry).toMatchObject({ type: "photo", fileName: "timeline.png", caption: summarizeTimeline(beachDraft, "en"), buttons: [{ intent: "export" }] });
    expect(entry?.type === "photo" && entry.bytes.subarray(1, 4).toString("latin1")).toBe("PNG");
  });

  it.each([
    ["no draft at all", undefined],
    ["a draft that is no JSON", "{not json"],
    ["tracks that are no list", { t: "video" }],
    ["a timeline with no segment", { t: [{ tt: 0, sg: [] }], d: 4000 }],
    ["segments with no time", { t: [{ tt: 0, sg: [{ n: "a.mp4" }] }] }],
  ])("falls back to the text summary for %s", async (_label, draft) => {
    const outbox = new RecordingOutbox();
    await sendTimeline({ outbox, to, locale: "en", draft, logger: silentLogger });
    expect(outbox.entries).toHaveLength(1);
    expect(outbox.entries[0]).toMatchObject({ type: "text", text: summarizeTimeline(draft, "en") });
  });

  it("draws placeholders when the thumbnail store cannot be read", async () => {
    const outbox = new RecordingOutbox();
    const broken: Thumbnails = {
      put: async () => undefined,
      get: async () => {
        throw new Error("Redis is down");
      },
    };
    await sendTimeline({ outbox, to, locale: "en", draft: beachDraft, caption: en.turnNoChange, thumbnails: { store: broken, sessionId: "s" }, logger: silentLogger });
    expect(outbox.entries[0]).toMatchObject({ type: "photo", caption: en.turnNoChange });
  });
});

describe("the thumbnail store", () => {
  it("keeps a small JPEG per clip under each of its names, per session", async () => {
    const store = new RedisThumbnails(redis, uniquePrefix("thumbs"));
    const small = await shrinkThumbnail(thumbnailJpeg("#123456", "#abcdef", 320, 180));
    // Shrunk to 160 px on the long side: a few KB, still a JPEG.
    expect(small.length).toBeLessThan(10_000);
    expect(small[0]).toBe(0xff);
    expect(small[1]).toBe(0xd8);
    await store.put("s1", ["https://cdn.example/a.mp4", "a.mp4"], small);
    const found = await store.get("s1", ["a.mp4", "https://cdn.example/a.mp4", "b.mp4"]);
    expect([...found.keys()].sort()).toEqual(["a.mp4", "https://cdn.example/a.mp4"]);
    expect(Buffer.compare(found.get("a.mp4")!, small)).toBe(0);
    expect((await store.get("s2", ["a.mp4"])).size).toBe(0);
  });

  it("refuses what is no image", async () => {
    await expect(shrinkThumbnail(Buffer.from("thumb"))).rejects.toThrow();
  });
});
