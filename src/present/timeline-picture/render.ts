import { createCanvas, type Image, type SKRSContext2D } from "@napi-rs/canvas";
import { fontFamily } from "./fonts.js";
import { HEADER_HEIGHT, PLOT_WIDTH, PLOT_X, type BlockLayout, type PictureLayout } from "./layout.js";
import type { PictureSegment, PictureTimeline, PictureTrackKind, PictureWords } from "./model.js";

/**
 * Draws a layout onto a canvas and encodes it as PNG. Shapes first, then every text grouped by font
 * (so the font is set a few times, not once per text), each text ellipsized to the room it has.
 */

const COLORS = {
  background: "#0f172a",
  lane: "#162036",
  grid: "#23314f",
  tick: "#94a3b8",
  title: "#f8fafc",
  subtle: "#94a3b8",
  laneLabel: "#cbd5e1",
  blockText: "#ffffff",
  blockSubtext: "#dbeafe",
  placeholder: "#1e3a8a",
  placeholderMark: "#93c5fd",
};

const BLOCK: Record<PictureTrackKind, { fill: string; edge: string }> = {
  video: { fill: "#2563eb", edge: "#60a5fa" },
  audio: { fill: "#0f766e", edge: "#2dd4bf" },
  text: { fill: "#b45309", edge: "#fbbf24" },
  captions: { fill: "#6d28d9", edge: "#a78bfa" },
  other: { fill: "#475569", edge: "#94a3b8" },
};

const VOLUME_BAR = "#5eead4";
const ELLIPSIS = "…";

interface TextOp {
  text: string;
  x: number;
  y: number;
  /** Room in pixels; the text is cut with an ellipsis to fit, and left out when not even that fits. */
  maxWidth: number;
  color: string;
  size: number;
  bold: boolean;
  align?: "left" | "right" | "center";
}

export interface RenderInput {
  timeline: PictureTimeline;
  layout: PictureLayout;
  words: PictureWords;
  /** Decoded thumbnails by segment source or name. */
  thumbnails: ReadonlyMap<string, Image>;
}

function roundRect(ctx: SKRSContext2D, x: number, y: number, w: number, h: number, r: number): void {
  const radius = Math.max(0, Math.min(r, w / 2, h / 2));
  ctx.beginPath();
  ctx.roundRect(x, y, w, h, radius);
}

/** The frame's shape as a small outlined rectangle beside its ratio. */
function drawFrameIcon(ctx: SKRSContext2D, ratio: string | undefined, width: number | undefined, height: number | undefined, right: number, middle: number): number {
  let aspect: number | undefined;
  const match = ratio?.match(/^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/);
  if (match) aspect = Number(match[1]) / Number(match[2]);
  else if (width && height) aspect = width / height;
  if (aspect === undefined || !Number.isFinite(aspect) || aspect <= 0) return right;
  const box = 26;
  const w = aspect >= 1 ? box : Math.max(8, box * aspect);
  const h = aspect >= 1 ? Math.max(8, box / aspect) : box;
  ctx.strokeStyle = COLORS.title;
  ctx.lineWidth = 2;
  roundRect(ctx, right - w, middle - h / 2, w, h, 3);
  ctx.stroke();
  return right - w - 10;
}

function drawThumbnail(ctx: SKRSContext2D, image: Image | undefined, x: number, y: number, w: number, h: number): void {
  ctx.save();
  roundRect(ctx, x, y, w, h, 4);
  ctx.clip();
  if (image && image.width > 0 && image.height > 0) {
    // Cover the box, cropping the middle of the image.
    const scale = Math.max(w / image.width, h / image.height);
    const sw = w / scale;
    const sh = h / scale;
    ctx.drawImage(image, (image.width - sw) / 2, (image.height - sh) / 2, sw, sh, x, y, w, h);
  } else {
    ctx.fillStyle = COLORS.placeholder;
    ctx.fillRect(x, y, w, h);
    // A neutral "film" mark: a play triangle.
    const size = Math.min(w, h) * 0.36;
    if (size >= 4) {
      const cx = x + w / 2;
      const cy = y + h / 2;
      ctx.fillStyle = COLORS.placeholderMark;
      ctx.beginPath();
      ctx.moveTo(cx - size * 0.4, cy - size / 2);
      ctx.lineTo(cx + size * 0.55, cy);
      ctx.lineTo(cx - size * 0.4, cy + size / 2);
      ctx.closePath();
      ctx.fill();
    }
  }
  ctx.restore();
}

/** A clip's thumbnail, kept under its source or, failing that, its name. */
export function thumbnailOf<T>(thumbnails: ReadonlyMap<string, T>, segment: PictureSegment): T | undefined {
  return (segment.source === undefined ? undefined : thumbnails.get(segment.source)) ?? (segment.name === undefined ? undefined : thumbnails.get(segment.name));
}

function thumbWidth(timeline: PictureTimeline, height: number): number {
  const { width: w, height: h } = timeline;
  let aspect = 16 / 9;
  const match = timeline.ratio?.match(/^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/);
  if (match) aspect = Number(match[1]) / Number(match[2]);
  else if (w && h) aspect = w / h;
  return Math.round(height * Math.min(16 / 9, Math.max(9 / 16, aspect)));
}

function blockTexts(input: RenderInput, block: BlockLayout, textX: number, textWidth: number, ops: TextOp[]): void {
  const { words } = input;
  const { segment, kind } = block;
  let name = segment.name;
  if (name === undefined) name = kind === "audio" ? words.unnamedAudio : kind === "video" ? words.unnamedClip : "…";
  if (kind === "text") name = `“${name}”`;
  // Clips often share a name's start (clip-1.mp4, clip-2.mp4): the number tells them apart.
  const details = kind === "video" ? [`#${block.index}`, words.length(block.durationMs)] : [words.length(block.durationMs)];
  if (kind === "audio" && segment.volume !== undefined) details.push(words.volume(Math.round(segment.volume * 100)));
  const top = kind === "video" ? block.y + (block.height - 32) / 2 : block.y + 1;
  ops.push({ text: name, x: textX, y: top + 13, maxWidth: textWidth, color: COLORS.blockText, size: 14, bold: true });
  ops.push({ text: details.join(" · "), x: textX, y: top + 30, maxWidth: textWidth, color: COLORS.blockSubtext, size: 12, bold: false });
}

function drawBlock(ctx: SKRSContext2D, input: RenderInput, block: BlockLayout, ops: TextOp[]): void {
  const colors = BLOCK[block.kind];
  const { x, y, width, height } = block;
  ctx.fillStyle = colors.fill;
  roundRect(ctx, x + 0.5, y, Math.max(1, width - 1), height, 5);
  ctx.fill();
  ctx.fillStyle = colors.edge;
  // A bright left edge marks where a segment starts (none where it only continues from the row above).
  if (!block.continuesLeft && width >= 4) ctx.fillRect(x + 0.5, y, 2, height);

  let textX = x + 8;
  if (block.kind === "video" && width >= 14) {
    const thumbH = height - 8;
    // A narrow block keeps room for its name: the thumbnail takes at most 40% of it (all of it below 60 px).
    const room = width < 60 ? width - 8 : Math.max(16, width * 0.4);
    const thumbW = Math.min(thumbWidth(input.timeline, thumbH), room);
    drawThumbnail(ctx, thumbnailOf(input.thumbnails, block.segment), x + 4, y + 4, thumbW, thumbH);
    textX = x + 4 + thumbW + 8;
  }
  if (block.kind === "audio" && block.segment.volume !== undefined && width >= 6) {
    // Music's level as a bar along the block's foot.
    ctx.fillStyle = VOLUME_BAR;
    ctx.fillRect(x + 3, y + height - 3, Math.max(1, (width - 6) * Math.min(1, block.segment.volume)), 2);
  }
  const textWidth = x + width - 6 - textX;
  if (textWidth >= 18) blockTexts(input, block, textX, textWidth, ops);
}

function drawRows(ctx: SKRSContext2D, input: RenderInput, ops: TextOp[]): void {
  const { layout, words } = input;
  for (const row of layout.rows) {
    const axisY = row.y + 17;
    for (const lane of row.lanes) {
      ctx.fillStyle = COLORS.lane;
      ctx.fillRect(PLOT_X, lane.y, PLOT_WIDTH, lane.height);
      ops.push({ text: words.lane[lane.kind], x: PLOT_X - 12, y: lane.y + lane.height / 2 + 5, maxWidth: PLOT_X - 28, color: COLORS.laneLabel, size: 14, bold: true, align: "right" });
    }
    ctx.fillStyle = COLORS.grid;
    for (const tick of row.ticks) {
      ctx.fillRect(Math.round(tick.x), axisY + 2, 1, row.y + row.height - axisY - 2);
      const align = tick.x <= PLOT_X + 1 ? "left" : tick.x >= PLOT_X + PLOT_WIDTH - 1 ? "right" : "center";
      ops.push({ text: words.length(tick.ms), x: tick.x, y: axisY - 2, maxWidth: 80, color: COLORS.tick, size: 11, bold: false, align });
    }
    for (const lane of row.lanes) for (const block of lane.blocks) drawBlock(ctx, input, block, ops);
  }
}

function drawHeader(ctx: SKRSContext2D, input: RenderInput, ops: TextOp[]): void {
  const { timeline, layout, words } = input;
  const middle = HEADER_HEIGHT / 2 - 4;
  const facts: string[] = [];
  if (timeline.ratio) facts.push(timeline.ratio);
  if (timeline.width && timeline.height) facts.push(`${timeline.width}×${timeline.height}`);
  facts.push(words.length(layout.totalMs));
  const right = layout.width - 20;
  const textRight = drawFrameIcon(ctx, timeline.ratio, timeline.width, timeline.height, right, middle);
  ops.push({ text: facts.join("  ·  "), x: textRight, y: middle + 6, maxWidth: 380, color: COLORS.title, size: 17, bold: true, align: "right" });
  ops.push({ text: timeline.title ?? words.heading, x: 20, y: middle + 8, maxWidth: layout.width - 20 - 440, color: COLORS.title, size: 24, bold: true });
  ctx.fillStyle = COLORS.grid;
  ctx.fillRect(20, HEADER_HEIGHT - 12, layout.width - 40, 1);
  if (layout.hiddenTracks > 0) {
    ops.push({ text: words.moreTracks(layout.hiddenTracks), x: PLOT_X, y: layout.height - 20, maxWidth: PLOT_WIDTH, color: COLORS.subtle, size: 13, bold: false });
  }
}

/** Cuts `text` to `maxWidth` with an ellipsis; undefined when not even the ellipsis fits. */
function fitText(ctx: SKRSContext2D, text: string, maxWidth: number): string | undefined {
  const full = ctx.measureText(text).width;
  if (full <= maxWidth) return text;
  const chars = [...text];
  const ellipsis = ctx.measureText(ELLIPSIS).width;
  if (ellipsis > maxWidth) return undefined;
  // Start from a proportional guess, then step: usually one or two measurements.
  let n = Math.max(0, Math.min(chars.length - 1, Math.floor((chars.length * (maxWidth - ellipsis)) / full)));
  let candidate = `${chars.slice(0, n).join("").trimEnd()}${ELLIPSIS}`;
  while (n > 0 && ctx.measureText(candidate).width > maxWidth) {
    n -= 1;
    candidate = `${chars.slice(0, n).join("").trimEnd()}${ELLIPSIS}`;
  }
  while (n + 1 < chars.length) {
    const longer = `${chars.slice(0, n + 1).join("").trimEnd()}${ELLIPSIS}`;
    if (ctx.measureText(longer).width > maxWidth) break;
    n += 1;
    candidate = longer;
  }
  return n === 0 ? ELLIPSIS : candidate;
}

function drawTexts(ctx: SKRSContext2D, ops: TextOp[]): void {
  const family = fontFamily();
  const groups = new Map<string, TextOp[]>();
  for (const op of ops) {
    const font = `${op.bold ? "bold " : ""}${op.size}px ${family}`;
    const group = groups.get(font) ?? [];
    group.push(op);
    groups.set(font, group);
  }
  ctx.textBaseline = "alphabetic";
  for (const [font, group] of groups) {
    ctx.font = font;
    for (const op of group) {
      const text = fitText(ctx, op.text, op.maxWidth);
      if (text === undefined) continue;
      ctx.fillStyle = op.color;
      ctx.textAlign = op.align ?? "left";
      ctx.fillText(text, op.x, op.y);
    }
  }
}

export function renderLayout(input: RenderInput): Buffer {
  const { layout } = input;
  const canvas = createCanvas(layout.width, layout.height);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = COLORS.background;
  ctx.fillRect(0, 0, layout.width, layout.height);
  const ops: TextOp[] = [];
  drawHeader(ctx, input, ops);
  drawRows(ctx, input, ops);
  drawTexts(ctx, ops);
  return canvas.toBuffer("image/png");
}
