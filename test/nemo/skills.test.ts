import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SKILL_PROFILE_NAMES } from "../../src/config.js";
import { fileExtension, formatsList, isAcceptedFile, skillProfile } from "../../src/nemo/skills.js";

const CONTRACT_FORMATS = ["mp4", "mov", "avi", "webm", "mkv", "jpg", "png", "gif", "webp", "mp3", "wav", "m4a", "aac"];

interface SeedFacts {
  seed: string;
  greeting: string;
  maxFileMB: number | null;
  preferredFormats: string[] | null;
}

/** What each seed document says of its skill, kept in the repository (seed-facts.json). */
const FACTS = (JSON.parse(readFileSync(new URL("./seed-facts.json", import.meta.url), "utf8")) as { skills: Record<string, SeedFacts> }).skills;

/** The seed documents themselves live outside the repository; on a machine that has them, the facts are checked against them too. */
const SEEDS = "/work/shared/seeds";
const seedsHere = existsSync(SEEDS);

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

  it("has seed facts for every profile and no other", () => {
    expect(Object.keys(FACTS).sort()).toEqual([...SKILL_PROFILE_NAMES].sort());
  });

  it.each(SKILL_PROFILE_NAMES)("%s: greeting, file limit and preferred formats as its seed says", (name) => {
    const facts = FACTS[name];
    if (facts === undefined) throw new Error(`no seed facts for ${name}`);
    const p = skillProfile(name);
    expect(p.greeting.en).toBe(facts.greeting);
    if (facts.maxFileMB !== null) expect(p.maxFileBytes).toBe(facts.maxFileMB * 1024 * 1024);
    if (facts.preferredFormats !== null) expect(p.preferredFormats).toEqual(facts.preferredFormats);
  });

  it.runIf(seedsHere).each(SKILL_PROFILE_NAMES)("%s: the seed facts are what the seed document says", (name) => {
    const facts = FACTS[name];
    if (facts === undefined) throw new Error(`no seed facts for ${name}`);
    const seed = readFileSync(join(SEEDS, facts.seed), "utf8");
    // Seeds write "X-Skill-Source: name" (sometimes run into the next header) or "X-Skill-Source is name".
    expect(seed).toMatch(new RegExp(`X-Skill-Source(:| is)\\s*${name}(?![a-z-])`));
    expect(seed).toContain(facts.greeting);
    const limit = /Max file size is (\d+)MB/.exec(seed)?.[1];
    expect(limit === undefined ? null : Number(limit)).toBe(facts.maxFileMB);
    const prefers = /Stick to ([A-Za-z0-9, ]+?) for the smoothest/.exec(seed)?.[1];
    expect(prefers === undefined ? null : prefers.toLowerCase().split(/,\s*/)).toEqual(facts.preferredFormats);
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
