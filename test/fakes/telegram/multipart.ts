/**
 * A lenient multipart/form-data parser for the fake Bot API. grammY writes part headers without
 * spaces (`content-disposition:form-data;name="video";filename=x`) and unquoted file names, which
 * Node's `Request.formData()` rejects; this reads what the real Bot API reads.
 */

export interface MultipartPart {
  name: string;
  fileName: string | undefined;
  contentType: string | undefined;
  data: Buffer;
}

export function boundaryOf(contentType: string | undefined): string | undefined {
  const match = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? "");
  return match ? (match[1] ?? match[2])?.trim() : undefined;
}

export function parseMultipart(body: Buffer, boundary: string): MultipartPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    let partStart = start + delimiter.length;
    // `--boundary--` closes the body.
    if (body.subarray(partStart, partStart + 2).toString() === "--") break;
    if (body.subarray(partStart, partStart + 2).toString() === "\r\n") partStart += 2;
    const next = body.indexOf(delimiter, partStart);
    if (next === -1) break;
    // The CRLF before a delimiter belongs to the delimiter, not the part.
    let partEnd = next;
    if (body.subarray(partEnd - 2, partEnd).toString() === "\r\n") partEnd -= 2;
    const part = body.subarray(partStart, partEnd);
    const headerEnd = part.indexOf("\r\n\r\n");
    if (headerEnd !== -1) parts.push(readPart(part.subarray(0, headerEnd).toString("utf8"), part.subarray(headerEnd + 4)));
    start = next;
  }
  return parts;
}

function readPart(headerText: string, data: Buffer): MultipartPart {
  let name = "";
  let fileName: string | undefined;
  let contentType: string | undefined;
  for (const line of headerText.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon === -1) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === "content-type") contentType = value;
    if (key !== "content-disposition") continue;
    for (const param of value.split(";")) {
      const eq = param.indexOf("=");
      if (eq === -1) continue;
      const pKey = param.slice(0, eq).trim().toLowerCase();
      const pValue = param.slice(eq + 1).trim().replace(/^"(.*)"$/, "$1");
      if (pKey === "name") name = pValue;
      if (pKey === "filename") fileName = pValue;
    }
  }
  return { name, fileName, contentType, data: Buffer.from(data) };
}
