import { ActionRowBuilder, ButtonBuilder, ButtonStyle, type APIActionRowComponent, type APIComponentInActionRow } from "discord.js";
import type { ButtonIntent } from "../../src/chat/message.js";
import type { Button } from "../../src/chat/outbox.js";

const INTENTS: readonly ButtonIntent[] = ["export", "timeline", "credits", "timeline-refresh"];

/** Quick-action buttons as one action row; the custom id is the intent, so a press comes back as it. */
export function buttonRows(buttons: Button[] | undefined): APIActionRowComponent<APIComponentInActionRow>[] | undefined {
  if (!buttons || buttons.length === 0) return undefined;
  const row = new ActionRowBuilder<ButtonBuilder>().addComponents(
    // Discord allows five buttons per row.
    buttons.slice(0, 5).map((b) => new ButtonBuilder().setCustomId(b.intent).setLabel(b.label).setStyle(ButtonStyle.Secondary)),
  );
  return [row.toJSON()];
}

/** A pressed button's custom id back to its intent; undefined for ids the bot did not make. */
export function intentOf(customId: string): ButtonIntent | undefined {
  return (INTENTS as readonly string[]).includes(customId) ? (customId as ButtonIntent) : undefined;
}
