import type { Messages } from "../../i18n/index.js";
import { aboutWords, placeWords, renderProgressWords } from "../../work/place-words.js";
import type { WorkOverviewItem } from "../../work/types.js";
import type { Handler } from "../types.js";

/** How long a turn's text may be in the list before it is cut. */
const TEXT_SHOWN = 40;

/** "✏️ "cut it to 3 seconds"", "📤 a.mp4", "🎬 Export". */
export function itemLabel(t: Messages, entry: Pick<WorkOverviewItem, "item">): string {
  const { item } = entry;
  switch (item.kind) {
    case "turn": {
      const text = item.text.replace(/\s+/g, " ").trim();
      return t.itemTurn({ text: text.length > TEXT_SHOWN ? `${text.slice(0, TEXT_SHOWN - 1)}…` : text });
    }
    case "upload":
      return t.itemUpload({ names: item.attachments.map((a) => a.name) });
    case "export":
      return t.itemExport;
  }
}

/** The same words as the item's own status message: its place in line, or its render's progress. */
function stateWords(t: Messages, entry: WorkOverviewItem): string {
  switch (entry.state) {
    case "waiting":
      return placeWords(t, entry.place ?? { ahead: 0, etaMs: undefined });
    case "running":
      return t.statusRunning(entry.leftMs === undefined ? {} : { left: aboutWords(t, entry.leftMs) });
    case "rendering":
      return renderProgressWords(t, entry.percent ?? 0, entry.leftMs);
  }
}

/** /status: every item of the user in this chat that is waiting, running or rendering, numbered for /cancel. */
export const status: Handler = async (ctx) => {
  const items = await ctx.deps.work.overview(ctx.ref);
  if (items.length === 0) {
    await ctx.reply(ctx.t.statusNothing);
    return;
  }
  const lines = items.map((entry) => `${entry.number}. ${itemLabel(ctx.t, entry)}\n   ${stateWords(ctx.t, entry)}`);
  await ctx.reply([ctx.t.statusTitle, ...lines, "", ctx.t.statusHint].join("\n"));
};
