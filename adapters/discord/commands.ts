import { SlashCommandBuilder, type RESTPostAPIChatInputApplicationCommandsJSONBody } from "discord.js";

/**
 * The bot's slash commands. Each becomes the text command the router already understands
 * (see to-chat-message.ts); descriptions are localized for Chinese clients.
 */

const simple = (name: string, en: string, zh: string) =>
  new SlashCommandBuilder().setName(name).setDescription(en).setDescriptionLocalizations({ "zh-CN": zh });

export const COMMAND_NAMES = ["edit", "upload", "export", "timeline", "status", "credits", "new", "token", "cancel", "help", "lang"] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

/** Commands whose reply only the user sees: a token must never show in a shared channel. */
export const EPHEMERAL_COMMANDS: ReadonlySet<string> = new Set<CommandName>(["token"]);

export function slashCommands(): RESTPostAPIChatInputApplicationCommandsJSONBody[] {
  const edit = simple("edit", "Tell the AI what to do with your video", "告诉 AI 如何编辑你的视频")
    .addStringOption((o) =>
      o
        .setName("prompt")
        .setDescription("What to do, e.g. cut to 30 seconds and add captions")
        .setDescriptionLocalizations({ "zh-CN": "要做什么，例如剪到 30 秒并加字幕" })
        .setRequired(true)
        .setMaxLength(2000),
    )
    .addAttachmentOption((o) =>
      o.setName("file").setDescription("A clip or image to edit").setDescriptionLocalizations({ "zh-CN": "要编辑的视频或图片" }),
    );
  const upload = simple("upload", "Add a clip or image to your project", "向项目添加视频或图片").addAttachmentOption((o) =>
    o.setName("file").setDescription("The clip or image").setDescriptionLocalizations({ "zh-CN": "视频或图片" }).setRequired(true),
  );
  const token = simple("token", "Use your own NemoVideo token (only you see this)", "使用你自己的 NemoVideo 令牌（仅你可见）").addStringOption((o) =>
    o.setName("value").setDescription("Your NemoVideo token").setDescriptionLocalizations({ "zh-CN": "你的 NemoVideo 令牌" }).setRequired(true),
  );
  const lang = simple("lang", "Choose the bot's language", "选择机器人的语言").addStringOption((o) =>
    o
      .setName("language")
      .setDescription("Language")
      .setDescriptionLocalizations({ "zh-CN": "语言" })
      .setRequired(true)
      .addChoices(
        { name: "English", value: "en" },
        { name: "简体中文", value: "zh-CN" },
        { name: "Auto (follow Discord) / 自动", value: "auto" },
      ),
  );
  const cancel = simple("cancel", "Cancel what is queued or rendering", "取消排队或渲染中的任务").addStringOption((o) =>
    o
      .setName("which")
      .setDescription("Just this one: its number in /status, or export, upload, edit")
      .setDescriptionLocalizations({ "zh-CN": "只取消这一项：/status 中的编号，或 导出、上传、编辑" })
      .setMaxLength(20),
  );
  return [
    edit,
    upload,
    simple("export", "Render your project and get the MP4", "渲染项目并获取 MP4"),
    simple("timeline", "See your project's timeline as a picture", "以图片查看项目时间线"),
    simple("status", "What is waiting, running and rendering", "排队、运行和渲染中的任务"),
    simple("credits", "Show your remaining credits", "查看剩余积分"),
    simple("new", "Start a new project", "开始新项目"),
    token,
    cancel,
    simple("help", "How to use the bot", "使用说明"),
    lang,
  ].map((command) => command.toJSON());
}
