import type { IncomingMessage } from "node:http";
import type { FakeFile } from "./store.js";

/** A request body as the fake reads it: the JSON (or payload_json of a multipart) and any files. */
export interface ParsedBody {
  json: Record<string, unknown>;
  text: string;
  files: FakeFile[];
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * @discordjs/rest sends files as well-formed multipart (undici's FormData: `files[n]` parts and a
 * `payload_json` part), which Node's own Request.formData() reads, so no hand-written parser is needed.
 */
export async function parseBody(contentType: string | undefined, raw: Buffer): Promise<ParsedBody> {
  if (raw.length === 0) return { json: {}, text: "", files: [] };
  if (contentType?.startsWith("multipart/form-data")) {
    const form = await new Request("http://fake.invalid/", {
      method: "POST",
      headers: { "content-type": contentType },
      body: raw,
    }).formData();
    let text = "";
    const files: FakeFile[] = [];
    for (const [key, value] of form.entries()) {
      if (typeof value === "string") {
        if (key === "payload_json") text = value;
      } else {
        files.push({ name: value.name, contentType: value.type, bytes: Buffer.from(await value.arrayBuffer()) });
      }
    }
    return { json: text ? (JSON.parse(text) as Record<string, unknown>) : {}, text, files };
  }
  const text = raw.toString("utf8");
  return { json: JSON.parse(text) as Record<string, unknown>, text, files: [] };
}
