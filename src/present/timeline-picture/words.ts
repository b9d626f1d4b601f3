import type { Locale } from "../../chat/message.js";
import { messages } from "../../i18n/index.js";
import type { PictureWords } from "./model.js";

/** Seconds with at most one decimal below a minute, m:ss from a minute on. */
function formatLength(ms: number, seconds: (value: string) => string): string {
  if (ms >= 60_000) {
    const total = Math.round(ms / 1000);
    return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`;
  }
  return seconds(String(Math.round(ms / 100) / 10));
}

export function pictureWords(locale: Locale): PictureWords {
  const m = messages(locale);
  return {
    heading: m.pictureHeading,
    lane: {
      video: m.timelineTrackVideo,
      audio: m.pictureLaneMusic,
      text: m.pictureLaneTitles,
      captions: m.timelineTrackCaptions,
      other: m.timelineTrackOther,
    },
    unnamedClip: m.timelineUnnamedClip,
    unnamedAudio: m.timelineUnnamedAudio,
    volume: (percent) => m.pictureVolume({ percent }),
    length: (ms) => formatLength(ms, (value) => m.pictureSeconds({ value })),
    moreTracks: (count) => m.timelineMoreTracks({ count }),
  };
}
