/** Telegram's limits, in UTF-16 code units as the Bot API counts them. */
export const MESSAGE_LIMIT = 4096;
export const CAPTION_LIMIT = 1024;
