import type { Server } from "node:http";
import { randomBytes } from "node:crypto";
import { WebSocketServer, type WebSocket } from "ws";
import { guildPayload, userPayload } from "./payloads.js";
import type { FakeStore } from "./store.js";

/**
 * The gateway side of the fake: HELLO → IDENTIFY → READY → one GUILD_CREATE per guild, heartbeats
 * answered with ACKs, and dispatches (INTERACTION_CREATE, MESSAGE_CREATE) to every identified socket.
 * Frames are plain JSON: the client has no zlib-sync, so it asks for no compression.
 */
export interface GatewayOptions {
  applicationId: string;
  botUserId: string;
  guilds: Array<{ id: string; channels: string[] }>;
  heartbeatIntervalMs: number;
  wsUrl: () => string;
}

export class FakeGateway {
  private readonly wss: WebSocketServer;
  private readonly ready = new Set<WebSocket>();
  private sequence = 0;
  /** Dispatched events by their entity's id (an interaction, a message), for `redispatch`. */
  private readonly sent = new Map<string, { event: string; data: unknown }>();

  constructor(
    server: Server,
    private readonly store: FakeStore,
    private readonly options: GatewayOptions,
  ) {
    this.wss = new WebSocketServer({ server });
    this.wss.on("connection", (socket) => this.accept(socket));
  }

  /** Sockets that finished the handshake. */
  get connections(): number {
    return this.ready.size;
  }

  dispatch(event: string, data: unknown): void {
    const id = (data as { id?: unknown }).id;
    if (typeof id === "string") this.sent.set(id, { event, data });
    const frame = JSON.stringify({ op: 0, t: event, s: ++this.sequence, d: data });
    for (const socket of this.ready) socket.send(frame);
  }

  /**
   * Sends an event again (same payload, a new sequence number), as Discord does when it replays
   * the events a session missed after a RESUME: the client may see one it had already handled.
   */
  redispatch(id: string): void {
    const sent = this.sent.get(id);
    if (!sent) throw new Error(`no event with id ${id} was dispatched`);
    this.dispatch(sent.event, sent.data);
  }

  async close(): Promise<void> {
    for (const socket of this.wss.clients) socket.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private accept(socket: WebSocket): void {
    socket.send(JSON.stringify({ op: 10, d: { heartbeat_interval: this.options.heartbeatIntervalMs } }));
    socket.on("message", (raw) => {
      let frame: { op?: number; d?: unknown };
      try {
        frame = JSON.parse(String(raw)) as { op?: number; d?: unknown };
      } catch {
        socket.close(4002, "Decode error");
        return;
      }
      switch (frame.op) {
        case 1:
          this.store.heartbeats += 1;
          this.store.changed();
          socket.send(JSON.stringify({ op: 11 }));
          break;
        case 2:
          this.identify(socket, frame.d as { token?: string; intents?: number });
          break;
        case 6:
          // A resume: the fake keeps no missed events, so it just says resumed.
          this.ready.add(socket);
          socket.send(JSON.stringify({ op: 0, t: "RESUMED", s: ++this.sequence, d: {} }));
          break;
        default:
          break;
      }
    });
    socket.on("close", () => this.ready.delete(socket));
  }

  private identify(socket: WebSocket, data: { token?: string; intents?: number }): void {
    this.store.identifies.push({ token: data.token ?? "", intents: data.intents ?? 0 });
    const { applicationId, botUserId, guilds } = this.options;
    const ready = {
      v: 10,
      user: { ...userPayload(botUserId, "NemoBot", true), verified: true, mfa_enabled: false },
      guilds: guilds.map((g) => ({ id: g.id, unavailable: true })),
      session_id: randomBytes(16).toString("hex"),
      resume_gateway_url: this.options.wsUrl(),
      shard: [0, 1],
      application: { id: applicationId, flags: 0 },
      private_channels: [],
      relationships: [],
      presences: [],
    };
    socket.send(JSON.stringify({ op: 0, t: "READY", s: ++this.sequence, d: ready }));
    for (const guild of guilds) {
      socket.send(JSON.stringify({ op: 0, t: "GUILD_CREATE", s: ++this.sequence, d: guildPayload(guild.id, guild.channels, botUserId) }));
    }
    this.ready.add(socket);
    this.store.changed();
  }
}
