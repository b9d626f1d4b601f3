/** Drafts in the contract's short keys for the reader, summary and change-word tests. */

/** The draft as the emulator writes it (the seed's example timeline). */
export function seedDraft(): Record<string, unknown> {
  return {
    t: [
      { tt: 0, sg: [{ id: "v1", n: "city timelapse", s: 0, d: 10_000, src: "https://cdn.example/city.mp4", ss: 0 }] },
      { tt: 1, sg: [{ n: "Lo-fi", s: 0, d: 10_000, v: 0.35 }] },
      { tt: 7, sg: [{ txt: "Urban Dreams", s: 0, d: 3000 }] },
    ],
    d: 10_000,
    m: { width: 1080, height: 1920, ratio: "9:16" },
  };
}

export type Track = { tt: number; k?: string; sg: Array<Record<string, unknown>> };
export const tracksOf = (draft: Record<string, unknown>) => draft.t as Track[];

/** The seed's timeline as a backend that keeps every name in the segment's `m` writes it. */
export function metaNamedDraft(title: Record<string, unknown> = { text: "Urban Dreams" }): Record<string, unknown> {
  return {
    t: [
      { tt: 0, sg: [{ id: "v1", st: 0, d: 10_000, m: { name: "city timelapse", src: "https://cdn.example/city.mp4" } }] },
      { tt: 1, sg: [{ id: "a1", st: 0, d: 10_000, m: { label: "Lo-fi", volume: 0.35 } }] },
      { tt: 7, sg: [{ id: "t1", st: 0, d: 3000, m: title }] },
    ],
    d: 10_000,
    m: { width: 1080, height: 1920, ratio: "9:16" },
  };
}
