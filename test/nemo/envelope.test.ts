import { describe, expect, it } from "vitest";
import { NemoError } from "../../src/errors.js";
import { findBindId, unwrapEnvelope } from "../../src/nemo/envelope.js";
import { errorFromAnswer } from "../../src/nemo/error-map.js";

function thrown(work: () => unknown): NemoError {
  try {
    work();
  } catch (error) {
    if (error instanceof NemoError) return error;
    throw error;
  }
  throw new Error("expected a NemoError");
}

describe("answer envelopes", () => {
  it("unwraps {code:0,data}, {success:true,data} and bare objects", () => {
    expect(unwrapEnvelope({ code: 0, message: "ok", data: { a: 1 } }, "x")).toEqual({ a: 1 });
    expect(unwrapEnvelope({ success: true, data: { id: "r" }, extra: 1 }, "x")).toEqual({ id: "r" });
    expect(unwrapEnvelope({ taskId: "t", status: "pending" }, "x")).toEqual({ taskId: "t", status: "pending" });
  });

  it("maps every documented backend code", () => {
    const cases: [number, string][] = [
      [1001, "token_invalid"],
      [1002, "session_not_found"],
      [2001, "no_credits"],
      [4001, "unsupported_file"],
      [4002, "file_too_large"],
      [7777, "unknown"],
    ];
    for (const [code, expected] of cases) {
      const error = thrown(() => unwrapEnvelope({ code, message: "nope", data: null }, "GET /x"));
      expect(error.code).toBe(expected);
      expect(error.backendCode).toBe(code);
    }
  });

  it("finds the bind id of a no-credits answer wherever it is", () => {
    expect(thrown(() => unwrapEnvelope({ code: 2001, message: "no credits", bind_id: "b1" }, "x")).bindId).toBe("b1");
    expect(thrown(() => unwrapEnvelope({ code: 2001, message: "no credits", data: { bindId: "b2" } }, "x")).bindId).toBe("b2");
    expect(thrown(() => unwrapEnvelope({ code: "2001", message: "no credits", data: { bind_id: "b3" } }, "x")).bindId).toBe("b3");
    expect(findBindId({ message: "register at https://nemovideo.com/register?bind=b4&x=1" })).toBe("b4");
    expect(thrown(() => unwrapEnvelope({ code: 2001, message: "no credits" }, "x")).bindId).toBeUndefined();
  });

  it("reads success:false as a failure", () => {
    expect(thrown(() => unwrapEnvelope({ success: false, error: "render not found" }, "x")).message).toMatch(/render not found/);
  });
});

describe("HTTP statuses → error codes", () => {
  const answer = (status: number, body: unknown, anonymous = false) =>
    errorFromAnswer({ status, body, text: body === undefined ? "Bad Gateway" : JSON.stringify(body), where: "POST /x", anonymous });

  it("maps the contract's statuses", () => {
    expect(answer(404, { detail: "Session not found" }).code).toBe("session_not_found");
    expect(answer(404, { detail: "Not Found" }).code).toBe("bad_request");
    expect(answer(400, { detail: "X-Client-Id required" }, true).code).toBe("missing_client_id");
    expect(answer(400, { detail: "bad" }).code).toBe("bad_request");
    expect(answer(402, { detail: "plan" }).code).toBe("plan_blocked");
    expect(answer(429, {}).code).toBe("rate_limited");
    expect(answer(429, {}, true).code).toBe("anonymous_limit");
    expect(answer(422, { detail: [{ msg: "field required" }] }).code).toBe("bad_request");
    expect(answer(502, undefined).code).toBe("server");
    expect(answer(401, {}).code).toBe("token_invalid");
  });

  it("lets a known envelope code in an error body win over the status", () => {
    const error = answer(403, { code: 2001, message: "no credits", bind_id: "b9" });
    expect(error.code).toBe("no_credits");
    expect(error.bindId).toBe("b9");
    expect(error.status).toBe(403);
  });
});
