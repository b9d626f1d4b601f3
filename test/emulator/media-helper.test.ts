import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { looksLikeMp4, makeTestAudio, makeTestClip, makeTestImage } from "../helpers/media.js";

describe("test media helper", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "media-helper-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("makes a real MP4 clip, a PNG image and an audio file", async () => {
    const clip = await makeTestClip(dir, { seconds: 1, width: 160, height: 120 });
    expect(looksLikeMp4(await readFile(clip))).toBe(true);
    const image = await makeTestImage(dir);
    expect((await readFile(image)).subarray(1, 4).toString("latin1")).toBe("PNG");
    const audio = await makeTestAudio(dir, { seconds: 1, name: "tone.mp3" });
    expect((await readFile(audio)).length).toBeGreaterThan(100);
  });
});
