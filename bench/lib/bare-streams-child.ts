/**
 * The baseline for open turns: bare undici streams to the same emulator, in a process of their own.
 * Each is one `request()` to `/run_sse` (bodyTimeout 0, the body read and thrown away), with nothing
 * of the bot around it: no BullMQ, no parser, no status message. The driver asks this process to
 * open N of them (`open`, with the sessions to use) and reads its memory and CPU like any child's.
 */
import { Agent, request } from "undici";
import { announceReady, serveRpc } from "./rpc.js";
import { usageHandlers } from "./usage.js";

const base = process.argv[2] ?? "";
const dispatcher = new Agent();
let open = 0;
const OPENING_AT_ONCE = 200;

serveRpc(
  {
    ...usageHandlers(),
    /** Opens one stream per session; answers once every one has its headers. */
    open: async (args) => {
      const sessions = args as { token: string; sessionId: string }[];
      // A few hundred at a time: ten thousand connects at once overrun the emulator's accept queue
      // on a busy machine (connect timeouts); what is measured is the streams once open.
      let next = 0;
      const openOne = async ({ token, sessionId }: { token: string; sessionId: string }) => {
        const answer = await request(`${base}/run_sse`, {
          method: "POST",
          dispatcher,
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "text/event-stream" },
          body: JSON.stringify({ app_name: "nemo_agent", user_id: "me", session_id: sessionId, new_message: { parts: [{ text: "hold" }] } }),
          bodyTimeout: 0,
        });
        if (answer.statusCode !== 200) throw new Error(`run_sse answered ${answer.statusCode}`);
        open += 1;
        answer.body.on("data", () => undefined);
        answer.body.on("error", () => undefined);
        answer.body.on("close", () => {
          open -= 1;
        });
      };
      await Promise.all(
        Array.from({ length: Math.min(OPENING_AT_ONCE, sessions.length) }, async () => {
          while (next < sessions.length) await openOne(sessions[next++] as { token: string; sessionId: string });
        }),
      );
      return open;
    },
    openCount: () => open,
  },
  async () => {
    await dispatcher.destroy();
  },
);
announceReady({ pid: process.pid });
