import { createCanvas } from "@napi-rs/canvas";

/** Drafts in the contract's short keys, as the emulator and the backend write them, for the picture tests. */

export const beachDraft = {
  t: [
    {
      tt: 0,
      sg: [
        { id: "a", n: "beach-sunset-with-a-rather-long-file-name-from-the-phone.mp4", s: 0, d: 4000, src: "https://cdn.example/u/a.mp4" },
        { id: "b", n: "waves.mov", s: 4000, d: 6500, src: "https://cdn.example/u/b.mp4" },
      ],
    },
    { tt: 1, sg: [{ id: "m", n: "Calm piano", s: 0, d: 10_500, v: 0.3 }] },
    { tt: 7, sg: [{ id: "t", txt: "Beach Day", s: 0, d: 3000 }] },
    {
      tt: 7,
      k: "captions",
      sg: [0, 1, 2, 3, 4].map((i) => ({ txt: `Caption ${i + 1}`, s: i * 2000, d: i === 4 ? 2500 : 2000 })),
    },
  ],
  d: 10_500,
  m: { title: "Beach Day", width: 1920, height: 1080, ratio: "16:9" },
};

export const chineseDraft = {
  t: [
    {
      tt: 0,
      sg: [
        { n: "海边日落.mp4", s: 0, d: 5000 },
        { n: "城市延时摄影-夜景-从山顶拍到海边-一个很长很长很长的文件名用来测试省略号.mp4", s: 5000, d: 7000 },
      ],
    },
    { tt: 1, sg: [{ n: "轻音乐", s: 0, d: 12_000, v: 45 }] },
    { tt: 7, sg: [{ txt: "海边的一天", s: 0, d: 3000 }] },
    { tt: 7, k: "captions", sg: [{ txt: "字幕 1", s: 0, d: 2000 }, { txt: "字幕 2", s: 2000, d: 2000 }] },
  ],
  d: 12_000,
  m: { title: "海边的一天", width: 1080, height: 1920 },
};

/** `count` clips of 2 s each, music under all of them. */
export function manyClipsDraft(count: number) {
  return {
    t: [
      { tt: 0, sg: Array.from({ length: count }, (_, i) => ({ n: `clip-${i + 1}.mp4`, s: i * 2000, d: 2000 })) },
      { tt: 1, sg: [{ n: "Lo-fi", s: 0, d: count * 2000, v: 0.35 }] },
    ],
    d: count * 2000,
    m: { width: 1080, height: 1080 },
  };
}

/** A small JPEG like the thumbnail Telegram sends with a video: a diagonal gradient from `from` to `to`. */
export function thumbnailJpeg(from: string, to: string, width = 320, height = 180): Buffer {
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext("2d");
  const gradient = ctx.createLinearGradient(0, 0, width, height);
  gradient.addColorStop(0, from);
  gradient.addColorStop(1, to);
  ctx.fillStyle = gradient;
  ctx.fillRect(0, 0, width, height);
  return canvas.encodeSync("jpeg", 85);
}
