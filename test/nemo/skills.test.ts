import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SKILL_PROFILE_NAMES } from "../../src/config.js";
import { fileExtension, formatsList, isAcceptedFile, skillProfile } from "../../src/nemo/skills.js";

const SEEDS = "/work/shared/seeds";
const CONTRACT_FORMATS = ["mp4", "mov", "avi", "webm", "mkv", "jpg", "png", "gif", "webp", "mp3", "wav", "m4a", "aac"];

/** The seed document that names this skill as its X-Skill-Source, when the seeds are on this machine. */
function seedOf(source: string): string | undefined {
  let files: string[];
  try {
    files = readdirSync(SEEDS);
  } catch {
    return undefined;
  }
  for (const file of files) {
    const text = readFileSync(join(SEEDS, file), "utf8");
    if (new RegExp(`X-Skill-Source(:| is)\\s*${source}\\b`).test(text)) return text;
  }
  return undefined;
}

describe("skill profiles", () => {
  it.each(SKILL_PROFILE_NAMES)("%s: complete in both languages, attribution and the contract's formats", (name) => {
    const p = skillProfile(name);
    expect(p.source).toBe(name);
    expect(p.version).toBe("1.9");
    expect(p.acceptedFormats).toEqual(CONTRACT_FORMATS);
    for (const locale of ["en", "zh-CN"] as const) {
      expect(p.greeting[locale].length).toBeGreaterThan(10);
      expect(p.examples[locale].length).toBeGreaterThanOrEqual(2);
      for (const example of p.examples[locale]) expect(example.trim()).not.toBe("");
    }
    expect(p.examples.en).toHaveLength(p.examples["zh-CN"].length);
    expect(p.greeting["zh-CN"]).toMatch(/[\u4e00-\u9fff]/);
    for (const f of p.preferredFormats) expect(CONTRACT_FORMATS).toContain(f);
  });

  it.each(SKILL_PROFILE_NAMES)("%s: greeting and file limit as its seed says", (name) => {
    const seed = seedOf(name);
    if (seed === undefined) return; // the seeds live outside the repository
    const p = skillProfile(name);
    expect(seed).toContain(p.greeting.en);
    const limit = /Max file size is (\d+)MB/.exec(seed)?.[1];
    if (limit !== undefined) expect(p.maxFileBytes).toBe(Number(limit) * 1024 * 1024);
    const prefers = /Stick to ([A-Za-z, ]+?) for the smoothest/.exec(seed)?.[1];
    if (prefers !== undefined) expect(p.preferredFormats).toEqual(prefers.toLowerCase().split(/,\s*/));
  });

  it("has three 500 MB skills and two 200 MB skills, as the contract counts", () => {
    const sizes = SKILL_PROFILE_NAMES.map((n) => skillProfile(n).maxFileBytes / (1024 * 1024)).sort();
    expect(sizes).toEqual([200, 200, 500, 500, 500]);
  });

  it("knows what each skill is for", () => {
    expect(skillProfile("instagram-reels-maker").purpose).toBe("edit-clips");
    expect(skillProfile("video-making-ai").purpose).toBe("edit-clips");
    expect(skillProfile("editor-ai-instagram").purpose).toBe("edit-clips");
    expect(skillProfile("video-generator-for-free-ai").purpose).toBe("make-video");
    expect(skillProfile("free-image-editing").purpose).toBe("images-to-video");
  });
});

describe("accepted files", () => {
  it.each([
    ["clip.mp4", undefined, true],
    ["CLIP.MOV", undefined, true],
    ["holiday.final.mkv", undefined, true],
    ["photo.jpeg", undefined, true],
    ["song.m4a", undefined, true],
    ["voice.ogg", "audio/ogg", false],
    ["doc.pdf", "application/pdf", false],
    ["movie.mp4.exe", undefined, false],
    ["sticker.webm", undefined, true],
    ["file_12", "video/mp4", true],
    ["file_13", "video/quicktime; charset=binary", true],
    ["file_14", "audio/ogg", false],
    ["file_15", undefined, false],
    [".mp4", undefined, false],
    ["trailing.", "image/png", true], // no real extension: the MIME type decides
  ] as const)("%s (%s) → %s", (name, mime, expected) => {
    expect(isAcceptedFile(name, mime)).toBe(expected);
  });

  it("reads extensions from paths and in lower case", () => {
    expect(fileExtension("/tmp/a.b/clip.MP4")).toBe("mp4");
    expect(fileExtension("C:\\x\\photo.JPEG")).toBe("jpg");
    expect(fileExtension("noext")).toBeUndefined();
  });

  it("lists the contract's 13 formats for the 4001 message", () => {
    expect(formatsList()).toBe("mp4, mov, avi, webm, mkv, jpg, png, gif, webp, mp3, wav, m4a, aac");
  });
});
