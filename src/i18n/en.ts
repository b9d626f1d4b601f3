/**
 * Everything the bot says in English. zh-CN.ts must have the same keys (the type checks it).
 * Keys are grouped by the part of the bot that says them; add new ones to the right group.
 */
export const en = {
  // --- general ---
  languageName: "English",
  unknownError: "Something went wrong on our side. Please try again in a moment.",

  // --- router (src/router/) ---
  startGreeting: (p: { greeting: string; examples: string[] }) =>
    `👋 ${p.greeting}\n\nTry saying:\n${p.examples.map((e) => `• "${e}"`).join("\n")}\n\nSend /help to see everything I can do.`,
  help: (p: { formats: string; maxSize: string }) =>
    [
      "🎬 Send me clips, images or audio and tell me what to make: \"cut this to 30 seconds, add captions, format it for Reels\".",
      "",
      "/export — render the video and send it here (or just say \"export\")",
      "/timeline — see the timeline (or \"show tracks\")",
      "/status — what of yours is waiting, running and rendering, numbered",
      "/credits — your NemoVideo credits",
      "/new — start a fresh project",
      "/cancel — drop what is waiting and stop a render; /cancel 2 (the number /status shows) or /cancel export, upload or edit drops just that one",
      "/lang en|zh — the language I answer in",
      "/token <token> — use your own NemoVideo account (private chat only)",
      "",
      `Files: ${p.formats}; up to ${p.maxSize}.`,
    ].join("\n"),
  credits: (p: { available: number; frozen: number; total: number }) =>
    `💳 Credits: ${p.available} available / ${p.frozen} frozen / ${p.total} total\n(frozen = reserved by work in progress)`,
  uploadHint: (p: { formats: string; maxSize: string }) =>
    `📎 Just send the file here (${p.formats}; up to ${p.maxSize}). Add a caption to say what to do with it.`,
  cancelledQueued: "🛑 Cancelled: what was waiting has been dropped.",
  cancelledRunning: "🛑 Cancelled: the running job is being stopped.",
  cancelNothing: "Nothing to cancel: no work of yours is waiting or running.",
  cancelledOne: (p: { item: string }) => `🛑 Cancelled: ${p.item}`,
  cancelRunningItem: (p: { item: string }) => `${p.item} is already running and cannot be stopped; it will finish by itself.`,
  cancelNoSuchItem: (p: { which: string }) => `There is no "${p.which}" of yours waiting or rendering. Send /status to see the numbers.`,
  statusTitle: "Your work in this chat:",
  statusNothing: "Nothing of yours is waiting, running or rendering. /timeline shows your project.",
  statusHint: "Drop one with /cancel and its number (e.g. /cancel 2), or /cancel export.",
  statusRunning: (p: { left?: string }) => `▶️ Running${p.left ? ` · ${p.left} left` : ""}`,
  itemTurn: (p: { text: string }) => `✏️ "${p.text}"`,
  itemUpload: (p: { names: string[] }) => `📤 ${p.names.join(", ")}`,
  itemExport: "🎬 Export",
  newSession: "🆕 Fresh project started. Send a clip or describe the video you want.",
  langSet: "OK, I'll answer in English from now on.",
  langUsage: (p: { current: string }) => `I'm answering in ${p.current}. Use /lang en, /lang zh, or /lang auto (follow your app's language).`,
  langAuto: "OK, I'll follow your app's language.",
  unknownCommand: (p: { name: string }) => `I don't know /${p.name}. Send /help to see what I can do.`,
  tokenSaved: "🔑 Saved. Your own NemoVideo account is used from now on; I deleted your message so the token isn't left in the chat.",
  tokenSavedNotDeleted: "🔑 Saved. Your own NemoVideo account is used from now on. Please delete your message: it holds your token.",
  tokenSavedUnverified: "(I couldn't check it with NemoVideo just now; if it's wrong you'll hear about it on your next request.)",
  tokenRejected: "🔑 NemoVideo did not accept that token, so I didn't save it. Please check it and try again.",
  tokenRefusedGroup: (p: { deleted: boolean }) =>
    `🔑 Never share a token in a group. Send /token to me in a private chat instead.${p.deleted ? " I deleted that message." : " Please delete that message now."}`,
  tokenStorageOff: (p: { deleted: boolean }) =>
    `🔑 This bot can't store personal tokens (its operator has not set a TOKEN_KEY).${p.deleted ? " I deleted your message." : " Please delete your message: it holds your token."}`,
  tokenUsage: (p: { kind: "user" | "operator" | "anonymous" }) =>
    `${p.kind === "user" ? "You're using your own NemoVideo token." : p.kind === "operator" ? "You're using the bot's shared NemoVideo account." : "You're using a free starter account (100 credits, renewed weekly)."}\nSend /token <token> in a private chat to use your own account, or /token clear to forget it.`,
  tokenMalformed: (p: { deleted: boolean; max: number }) =>
    `🔑 That can't be a NemoVideo token: a token is one word of at most ${p.max} letters, digits and . _ - ~ + / = : (no spaces or line breaks), so I didn't save it.${p.deleted ? " I deleted your message." : " Please delete your message."}`,
  tokenCleared: "🔑 Forgotten. I'm back to the bot's default account.",
  tokenNotSet: "You haven't set a token of your own.",

  // --- access and quotas (src/quota/) ---
  emptyHint: "👋 Send me a clip or some photos with what you'd like done, or describe the video to make. /help shows everything I can do.",
  textTooLong: (p: { max: number }) =>
    `✂️ That message is too long for me: at most ${p.max} characters, please. Say what you want in a few sentences.`,
  notAllowed: "🔒 This bot is private. Ask its operator for access.",
  quotaTurns: (p: { limit: number; at: string; minutes: number }) =>
    `⏳ You've used your ${p.limit} edits for this hour; more at ${p.at} UTC (in ${p.minutes} min).`,
  quotaUploads: (p: { limit: number; at: string; minutes: number }) =>
    `⏳ You've sent your ${p.limit} uploads for this hour; more at ${p.at} UTC (in ${p.minutes} min).`,
  rateLimited: (p: { seconds: number }) =>
    `🐢 That's a lot of messages at once: I'm skipping new ones for about ${p.seconds} s. What you sent before is still being handled.`,
  quotaExports: (p: { limit: number; at: string; minutes: number }) =>
    `⏳ You've used your ${p.limit} exports for this hour; more at ${p.at} UTC (in ${p.minutes} min).`,

  // --- errors (src/chat/error-text.ts) ---
  errNoCreditsAnonymous: (p: { url: string }) =>
    `🪙 You've used your free credits. Register (it's free) to keep going; your project stays as it is:\n${p.url}`,
  errNoCreditsRegistered: "🪙 You're out of credits. Top up credits in your NemoVideo account, then try again.",
  errNoCreditsOperator:
    "🪙 The bot's shared credits have run out. Send /token <token> in a private chat to use your own NemoVideo account, or try again later.",
  errPlanBlocked: "🔒 Export isn't included in this plan. Register or upgrade your plan to unlock export (it's the plan, not your credits).",
  errUnsupportedFile: (p: { formats: string }) => `📎 I can't use that file type. Send one of: ${p.formats}.`,
  errFileTooLarge: (p: { limit: string }) =>
    `📦 That file is too large: the limit is ${p.limit}. Trim it to the part you need or compress it (e.g. export at 720p), then send it again.`,
  errRateLimited: "🚦 The video service is busy. Please try again in a minute.",
  errServiceDown: "📡 The video service is not answering right now. Nothing was lost; please try again in a few minutes.",
  errTurnTimeout:
    "⌛ The editor took too long on that request, so I stopped waiting. Send /timeline to see where the project stands, or try a shorter request.",
  errAnonymousLimit:
    "🚧 No more free starter accounts are available from this server right now. Send /token <token> in a private chat to use your own NemoVideo account.",
  errTokenUser: "🔑 NemoVideo refused your token (it may have expired). Send a new one with /token <token>, or /token clear to use the bot's default.",
  errTokenOperator: "🔑 The bot's NemoVideo account was refused. The operator needs to renew its token; please try again later.",
  sessionReplaced: "ℹ️ NemoVideo no longer had your previous project, so I started a new one. Send your clips again to continue.",
  /** The same, said while the message being handled brings files: they go into the new project, nothing to send again. */
  sessionReplacedWithFiles: "ℹ️ NemoVideo no longer had your previous project, so I started a new one; the files you just sent go into it.",
  errSessionLost: "Your project could not be found on the video service. Send /new to start a fresh one.",
  errRenderFailed: "🎞️ The render failed. Send /export to try once more.",
  errTurnFailed: "The editor couldn't do that one. Try saying it another way.",
  errBadRequest: "The video service didn't accept that request. Try saying it another way, or /new to start over.",

  // --- telegram (adapters/telegram/) ---
  telegramCloudLimit: (p: { size: string; localLimit: string }) =>
    `📦 That file is ${p.size}, and Telegram only lets bots download files up to 20 MB. Trim it to the part you need or compress it (e.g. export at 720p), then send it again.\n(The bot's operator can raise this limit to ${p.localLimit} by running a local Bot API server.)`,
  telegramCommands: {
    start: "Start and see examples",
    help: "What I can do",
    export: "Render the video and send it here",
    status: "What is waiting, running and rendering",
    timeline: "See the timeline as a picture",
    credits: "Your NemoVideo credits",
    new: "Start a fresh project",
    cancel: "Drop waiting work and stop a render (/cancel 2: just that one)",
    lang: "The language I answer in (en, zh)",
    token: "Use your own NemoVideo account (private chat)",
  },

  // --- places in line (jobs/line/) ---
  queuedPlace: (p: { ahead: number; eta?: string }) =>
    `${p.ahead === 0 ? "⏳ Queued: you're next" : `⏳ Queued: ${p.ahead} ahead of you`}${p.eta ? ` · ${p.eta}` : ""}`,
  about: (p: { value: number; unit: "s" | "min" | "h" }) => `about ${p.value} ${p.unit}`,
  queuedCancelled: "🛑 Cancelled",
  mailboxFull: (p: { waiting: number }) => `📥 You have ${p.waiting} things waiting; /cancel or wait for them to finish.`,

  // --- turns (jobs/) ---
  thinking: "🤔 Thinking…",
  stillWorking: (p: { minutes: number }) => `⏳ Still working... (${p.minutes} min)`,
  toolEditing: "🎬 Editing the timeline…",
  toolGenerating: "🎥 Generating video…",
  toolWorking: "🛠 Working on it…",
  turnDone: "✅ Done",
  turnStopped: "⚠️ Stopped",
  turnChanged: (p: { changes: string[] }) => `Done. What changed:\n${p.changes.map((c) => `• ${c}`).join("\n")}`,
  turnNoChange: "That finished, but your project looks the same as before. Try saying what you want changed in other words.",
  cutShortLength: "it reached its length limit",
  cutShortFiltered: "a content filter stopped it",
  cutShortOther: "it stopped early",
  turnCutShortChanged: (p: { why: string; changes: string[] }) =>
    `✂️ The editor's reply was cut short (${p.why}), but its work is in your project. What changed:\n${p.changes.map((c) => `• ${c}`).join("\n")}`,
  turnCutShortUnchanged: (p: { why: string }) =>
    `✂️ The editor's reply was cut short (${p.why}). Your project looks the same as before; here it is as it stands.`,
  turnFailedButChanged: (p: { changes: string[] }) =>
    `⚠️ The editor stopped with an error, but this changed in your project (no need to send it again):\n${p.changes.map((c) => `• ${c}`).join("\n")}`,
  turnFailedUnchanged:
    "⚠️ The editor stopped with an error after it had started working, and your project looks the same as before. Check it with /timeline before asking again.",
  turnBusyRetrying: "⏳ NemoVideo is busy; trying again in a moment…",
  recoveryChecking: "🔌 The connection dropped while I was working. Checking what happened to your project…",
  recoveryCheckingAfterError:
    "📡 The video service answered with an error after I sent your request; it may still have been applied. Checking your project…",
  recoveryCheckingAfterTimeout: "⌛ The editor is taking very long, so I stopped waiting; it may still finish. Checking your project…",
  recoveryFound: (p: { changes: string[] }) =>
    `Your request went through. What changed:\n${p.changes.map((c) => `• ${c}`).join("\n")}`,
  recoveryUnconfirmed:
    "I could not confirm that your last request was applied: your project still looks the same as before. Check with /timeline before sending it again.",
  buttonExport: "🎬 Export",
  buttonTimeline: "📋 Timeline",
  buttonRefreshTimeline: "🔄 Refresh",
  buttonCredits: "💳 Credits",
  uploading: (p: { name: string; index: number; total: number }) =>
    p.total > 1 ? `📤 Uploading ${p.name} (${p.index}/${p.total})…` : `📤 Uploading ${p.name}…`,
  uploadDone: (p: { names: string[] }) => `✅ Added to your project: ${p.names.join(", ")}`,
  uploadSomeFailed: (p: { names: string[] }) => `These files were not added: ${p.names.join(", ")}`,
  uploadNotArrived: (p: { names: string[] }) =>
    `📥 ${p.names.join(", ")} did not arrive: I could not fetch ${p.names.length === 1 ? "it" : "them"} from the chat. Please send ${p.names.length === 1 ? "it" : "them"} again.`,
  skippedAfterFailedUpload: (p: { request?: string; names: string[] }) =>
    `⏭️ I did not ${p.request === undefined ? "export" : `apply “${p.request}”`}: ${p.names.length > 0 ? p.names.join(", ") : "the file"} did not reach your project. Send the file again with ${p.request === undefined ? "“export”" : "your request"} as its caption.`,
  exportPreparing: "🎬 Preparing your export…",
  exportAlreadyRendering: "⏳ This version is already being rendered: the video will arrive here shortly.",
  exportNotReady: "There is nothing to export yet: send a clip or ask me to make a video first.",
  exportProgress: (p: { progress: string }) => `🎬 Rendering your video…\n${p.progress}`,
  renderProgress: (p: { bar: string; percent: number; left?: string }) => `${p.bar} ${p.percent}%${p.left ? ` · ${p.left} left` : ""}`,
  exportRetrying: "The render failed; trying once more…",
  exportDelivering: "📦 Sending your video…",
  exportDone: "✅ Your video is ready.",
  exportCaption: "🎬 Your video",
  exportLink: (p: { megabytes: number }) => `Your video is ready (${p.megabytes} MB, too large to send here). Download it:`,
  exportNoLink: "Your video is ready but too large to send here, and no download link came with it. Please export again later.",
  exportCancelled: "Export cancelled.",
  exportLinkInstead: "Your video is ready, but I couldn't send the file here. Download it:",
  exportUndeliverable: "Your video is ready, but I couldn't fetch or send it here and no download link came with it. Send /export to try again.",
  exportDoneLink: "✅ Your video is ready: the download link is above.",
  exportDoneNoLink: "⚠️ Your video is ready but could not be sent here.",
  exportFailed: "⚠️ The export stopped.",

  // --- timeline (src/present/timeline-summary.ts, draft-changes.ts) ---
  timelineHeader: (p: { count: number }) => `Timeline (${p.count} ${p.count === 1 ? "track" : "tracks"}):`,
  timelineEmpty: "The timeline is empty — send a clip to start.",
  timelineLine: (p: { index: number; label: string; items: string }) => `${p.index}. ${p.label}: ${p.items}`,
  timelineTrackVideo: "Video",
  timelineTrackAudio: "BGM",
  timelineTrackText: "Title",
  timelineTrackCaptions: "Captions",
  timelineTrackOther: "Track",
  timelineNoSegments: "(empty)",
  timelineUnnamedClip: "clip",
  timelineUnnamedAudio: "music",
  timelineCaptionLines: (p: { count: number }) => `${p.count} ${p.count === 1 ? "line" : "lines"}`,
  timelineMoreSegments: (p: { count: number }) => `+${p.count} more`,
  timelineMoreTracks: (p: { count: number }) => `…and ${p.count} more ${p.count === 1 ? "track" : "tracks"}`,
  timelineItemSeparator: ", ",
  timelineQuote: (p: { text: string }) => `"${p.text}"`,
  timelineDetails: (p: { parts: string[] }) => ` (${p.parts.join(", ")})`,
  timelineSpan: (p: { from: string; to: string; clock: boolean }) => `${p.from}-${p.to}${p.clock ? "" : "s"}`,
  timelineFrom: (p: { from: string; clock: boolean }) => `from ${p.from}${p.clock ? "" : "s"}`,
  timelineLength: (p: { length: string; clock: boolean }) => `${p.length}${p.clock ? "" : "s"}`,
  timelineFooter: (p: { parts: string[] }) => `Length: ${p.parts.join(" · ")}`,
  // --- the timeline as a picture (src/present/timeline-picture) ---
  pictureHeading: "Timeline",
  pictureLaneMusic: "Music",
  pictureLaneTitles: "Titles",
  pictureVolume: (p: { percent: number }) => `${p.percent}% vol`,
  pictureSeconds: (p: { value: string }) => `${p.value}s`,
  changeRatio: (p: { ratio: string }) => `changed the aspect ratio to ${p.ratio}`,
  changeResolution: (p: { width: number; height: number }) => `changed the resolution to ${p.width}×${p.height}`,
  changeTrimmedVideo: (p: { span: string }) => `trimmed the video to ${p.span}`,
  changeVideoLength: (p: { span: string }) => `changed the video to ${p.span}`,
  changeClipAdded: (p: { name?: string }) => (p.name ? `added the clip "${p.name}"` : "added a clip"),
  changeClipRemoved: (p: { name?: string }) => (p.name ? `removed the clip "${p.name}"` : "removed a clip"),
  changeClipsAdded: (p: { count: number }) => `added ${p.count} clips`,
  changeClipsRemoved: (p: { count: number }) => `removed ${p.count} clips`,
  changeTitleAdded: (p: { text: string }) => `added the title "${p.text}"`,
  changeTitleRemoved: (p: { text: string }) => `removed the title "${p.text}"`,
  changeTitleChanged: (p: { from: string; to: string }) => `changed the title "${p.from}" to "${p.to}"`,
  changeMusicAdded: (p: { name?: string; volume?: number }) =>
    `added background music${p.name ? ` "${p.name}"` : ""}${p.volume === undefined ? "" : ` at ${p.volume}%`}`,
  changeMusicRemoved: (p: { name?: string }) => `removed the background music${p.name ? ` "${p.name}"` : ""}`,
  changeMusicVolume: (p: { name?: string; volume: number }) =>
    `set the ${p.name ? `"${p.name}" ` : "music "}volume to ${p.volume}%`,
  changeCaptionsOn: "turned captions on",
  changeCaptionsOff: "turned captions off",
  changeCaptionsUpdated: "updated the captions",
  changeMore: (p: { count: number }) => `and ${p.count} more ${p.count === 1 ? "change" : "changes"}`,
  changeGeneric: "updated the timeline",

  // --- GUI translation (src/chat/gui-translation.ts) ---
  guiExportNow: "I'll export it now.",
  guiExportWhenReady: 'When you\'re happy with it, tap 🎬 Export or just say "export".',
  guiShowState: "I'll show you where your project stands.",
  guiShowTimeline: "I'll show you the timeline.",
  guiDragEdit: 'Tell me what to change, e.g. "move the title to 5s" or "put the second clip first".',
  guiDragUpload: "Just send the file here in the chat.",
  guiClickNamed: (p: { name: string }) => `Just say "${p.name}" and I'll take care of it.`,
  guiClickGeneric: "Just tell me here in the chat and I'll take care of it.",
};

export type Messages = typeof en;
