import type { FakeMessage } from "./store.js";

/** Discord API objects as the gateway and REST really shape them (only the fields discord.js reads). */

export function userPayload(id: string, username = `user${id.slice(-4)}`, bot = false) {
  return { id, username, discriminator: "0", global_name: bot ? null : username, avatar: null, bot, flags: 0 };
}

export function memberPayload(userId: string) {
  return {
    user: userPayload(userId),
    roles: [],
    joined_at: new Date(0).toISOString(),
    deaf: false,
    mute: false,
    flags: 0,
    permissions: "2248473465835073",
  };
}

export function guildPayload(guildId: string, channelIds: string[], ownerId: string) {
  return {
    id: guildId,
    name: `Guild ${guildId.slice(-4)}`,
    icon: null,
    owner_id: ownerId,
    unavailable: false,
    large: false,
    member_count: 2,
    joined_at: new Date().toISOString(),
    preferred_locale: "en-US",
    features: [],
    emojis: [],
    stickers: [],
    roles: [
      { id: guildId, name: "@everyone", permissions: "2248473465835073", position: 0, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 },
    ],
    channels: channelIds.map((id, position) => ({
      id,
      type: 0,
      name: `channel-${position}`,
      guild_id: guildId,
      position,
      permission_overwrites: [],
      nsfw: false,
      parent_id: null,
    })),
    members: [],
    presences: [],
    voice_states: [],
    threads: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  };
}

export function messagePayload(message: FakeMessage, botUserId: string, baseUrl: string, applicationId: string) {
  return {
    id: message.id,
    channel_id: message.channelId,
    author: userPayload(botUserId, "NemoBot", true),
    content: message.content,
    timestamp: new Date(message.createdAt).toISOString(),
    edited_timestamp: message.editedAt === undefined ? null : new Date(message.editedAt).toISOString(),
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: message.files.map((file, i) => ({
      id: `${message.id}${i}`,
      filename: file.name,
      size: file.bytes.length,
      content_type: file.contentType,
      url: `${baseUrl}/cdn/sent/${message.id}/${i}/${encodeURIComponent(file.name)}`,
      proxy_url: `${baseUrl}/cdn/sent/${message.id}/${i}/${encodeURIComponent(file.name)}`,
    })),
    embeds: [],
    pinned: false,
    type: message.interactionId ? 20 : 0,
    flags: message.flags,
    components: message.components,
    ...(message.nonce === undefined ? {} : { nonce: message.nonce }),
    ...(message.via === "webhook" ? { webhook_id: applicationId, application_id: applicationId } : {}),
  };
}
