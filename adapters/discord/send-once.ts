import { HTTPError, type RESTOptions, type ResponseLike } from "@discordjs/rest";

type MakeRequest = RESTOptions["makeRequest"];

/**
 * A post with files (a video, a picture) is sent once, with a timeout of its own, through the same
 * REST client as everything else.
 *
 * Why the same client: @discordjs/rest keeps a route's bucket per client. A second client for
 * uploads did not know that texts and statuses had spent a channel's bucket and posted the video
 * into a 429 (which Discord counts towards its invalid-request limit); one client also keeps a video
 * in its channel's queue in arrival order. Why sent once: the client would send it again by itself
 * after a timeout, a reset or a 5xx (`retries`), and a video Discord took but answered late would be
 * posted twice; the delivery step retries on its own, knowing what was posted (the message's nonce).
 * So here, for a body with files only: the client's short timeout is replaced by `uploadTimeoutMs`,
 * and a failure comes back as an error the client does not retry (429s are still waited out).
 */
export function filesSentOnce(makeRequest: MakeRequest, uploadTimeoutMs: number): MakeRequest {
  return async (url, init): Promise<ResponseLike> => {
    if (!hasFiles(init.body)) return makeRequest(url, init);
    let response: ResponseLike;
    try {
      response = await makeRequest(url, { ...init, signal: AbortSignal.timeout(uploadTimeoutMs) });
    } catch (error) {
      // Not named AbortError and not saying ECONNRESET: the two failures @discordjs/rest sends again.
      throw new Error(`Discord: a post with files failed (${nameOf(error)}); it is not sent again`, { cause: error });
    }
    if (response.status >= 500) {
      if (!response.bodyUsed) await response.arrayBuffer().catch(() => undefined);
      throw new HTTPError(response.status, response.statusText, init.method ?? "POST", url, { body: undefined, files: undefined });
    }
    return response;
  };
}

function hasFiles(body: unknown): boolean {
  return typeof body === "object" && body !== null && (body as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === "FormData";
}

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
