// lib/server/http.ts: bounded JSON bodies, zod parsing, and the route() shell (errors, cross-site refusal).
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { z } from "zod";

import { ApiError, type ErrorCode } from "@/lib/server/errors";
import { MAX_JSON_BYTES, parseWith, readBodyText, readJson, route } from "@/lib/server/http";
import { getLog } from "@/lib/server/log";

const URL_ = "http://parley.test/api/consults";
const schema = z.object({ name: z.string().min(1) }).strict();
const loose = z.object({ name: z.string().optional() });

function post(body: BodyInit | null, headers: Record<string, string> = {}): Request {
  return new Request(URL_, { method: "POST", body, headers, duplex: "half" } as RequestInit);
}
const jsonPost = (text: string, headers: Record<string, string> = {}) => post(text, { "content-type": "application/json", ...headers });

async function apiError(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error("expected an ApiError");
}

async function expectCode(p: Promise<unknown>, code: ErrorCode, status: number) {
  const err = await apiError(p);
  expect(err.code).toBe(code);
  expect(err.status).toBe(status);
}

/** A body stream of `chunks` chunks of `size` bytes that counts how much was pulled. */
function countingBody(chunks: number, size: number) {
  const stats = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (stats.pulled >= chunks) {
        controller.close();
        return;
      }
      stats.pulled++;
      controller.enqueue(new Uint8Array(size).fill(0x20));
    },
    cancel() {
      stats.cancelled = true;
    },
  });
  return { stream, stats };
}

describe("readJson", () => {
  it("parses a JSON body against the schema", async () => {
    expect(await readJson(jsonPost('{"name":"Ada"}'), schema)).toEqual({ name: "Ada" });
    expect(await readJson(jsonPost('{"name":"Ada"}', { "content-type": "application/json; charset=utf-8" }), schema)).toEqual({ name: "Ada" });
  });

  it("treats an empty body as {}", async () => {
    expect(await readJson(post(null), loose)).toEqual({});
    expect(await readJson(post(""), loose)).toEqual({});
    expect(await readJson(jsonPost("  \n"), loose)).toEqual({});
  });

  it("refuses malformed JSON with malformed_json (400)", async () => {
    await expectCode(readJson(jsonPost('{"name":'), schema), "malformed_json", 400);
    await expectCode(readJson(jsonPost("{'name':'Ada'}"), schema), "malformed_json", 400);
  });

  it("refuses a body that is not declared JSON with unsupported_media_type (415)", async () => {
    await expectCode(readJson(post('{"name":"Ada"}', { "content-type": "text/plain" }), schema), "unsupported_media_type", 415);
    await expectCode(readJson(post('{"name":"Ada"}', { "content-type": "application/x-www-form-urlencoded" }), schema), "unsupported_media_type", 415);
    const noType = new Request(URL_, { method: "POST", body: new Blob(['{"name":"Ada"}']) });
    expect(noType.headers.get("content-type")).toBeNull();
    await expectCode(readJson(noType, schema), "unsupported_media_type", 415);
  });

  it("refuses input the schema rejects with invalid_input (400) and says where", async () => {
    const err = await apiError(readJson(jsonPost('{"name":""}'), schema));
    expect(err.code).toBe("invalid_input");
    expect(err.status).toBe(400);
    expect(err.details).toEqual([expect.objectContaining({ path: "name" })]);
    await expectCode(readJson(jsonPost('{"name":"Ada","admin":true}'), schema), "invalid_input", 400);
    await expectCode(readJson(jsonPost("[]"), schema), "invalid_input", 400);
  });

  it("refuses a declared content-length over the limit before reading anything", async () => {
    const { stream, stats } = countingBody(100, 1024);
    const req = post(stream, { "content-type": "application/json", "content-length": String(MAX_JSON_BYTES + 1) });
    expect(req.headers.get("content-length")).toBe(String(MAX_JSON_BYTES + 1));
    await expectCode(readJson(req, schema), "payload_too_large", 413);
    expect(stats.pulled).toBeLessThanOrEqual(1); // a stream may pre-pull one chunk; nothing was read
  });

  it("refuses a streamed body over the limit without reading all of it", async () => {
    // 10 MiB offered in 16 KiB chunks with no content-length: it must stop just past 64 KiB.
    const { stream, stats } = countingBody(640, 16 * 1024);
    await expectCode(readJson(post(stream, { "content-type": "application/json" }), schema), "payload_too_large", 413);
    expect(stats.pulled).toBeLessThanOrEqual(Math.ceil(MAX_JSON_BYTES / (16 * 1024)) + 2);
    expect(stats.cancelled).toBe(true);
  });

  it("accepts a body of exactly the limit, and honours a custom limit", async () => {
    const pad = " ".repeat(MAX_JSON_BYTES - '{"name":"Ada"}'.length);
    expect(await readJson(jsonPost(`{"name":"Ada"}${pad}`), schema)).toEqual({ name: "Ada" });
    await expectCode(readJson(jsonPost(`{"name":"Ada"} `), schema, 14), "payload_too_large", 413);
    expect(await readBodyText(post("abc"), 3)).toBe("abc");
  });

  it("a lying (small) content-length does not let a big body through", async () => {
    const { stream } = countingBody(10, 16 * 1024);
    await expectCode(readJson(post(stream, { "content-type": "application/json", "content-length": "10" }), schema, 1024), "payload_too_large", 413);
  });
});

describe("parseWith", () => {
  it("returns the parsed (transformed) value", () => {
    expect(parseWith(z.object({ n: z.coerce.number() }), { n: "4" })).toEqual({ n: 4 });
  });
  it("throws invalid_input with issue paths", () => {
    try {
      parseWith(z.object({ a: z.object({ b: z.number() }) }), { a: { b: "x" } });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe("invalid_input");
      expect((err as ApiError).details).toEqual([expect.objectContaining({ path: "a.b" })]);
    }
  });
});

describe("route()", () => {
  let logError: MockInstance;
  beforeEach(() => {
    logError = vi.spyOn(getLog(), "error").mockImplementation(() => undefined);
  });
  afterEach(() => {
    logError.mockRestore();
  });

  type Body = { error?: { code: string; message: string; details?: unknown }; ok?: boolean };
  const ok = route<undefined>(() => Promise.resolve(Response.json({ ok: true })));

  it("passes the handler's answer through", async () => {
    const res = await ok(post(null), undefined);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it("turns an ApiError into its status and { error: { code, message } }", async () => {
    const h = route<undefined>(() => Promise.reject(new ApiError("not_found", "No such consult")));
    const res = await h(new Request(URL_), undefined);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/application\/json/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual({ error: { code: "not_found", message: "No such consult" } });
    expect(res.headers.get("retry-after")).toBeNull();
  });

  it("sends an ApiError's Retry-After (seconds) as a header", async () => {
    const h = route<undefined>(() => Promise.reject(new ApiError("rate_limited", "Too many messages in a short time: wait 42 s, then try again.", undefined, 42)));
    const res = await h(post(null), undefined);
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("42");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual({ error: { code: "rate_limited", message: "Too many messages in a short time: wait 42 s, then try again." } });
  });

  it("includes ApiError details when there are some", async () => {
    const h = route<undefined>(async (req) => Response.json(await readJson(req, schema)));
    const res = await h(jsonPost('{"name":""}'), undefined);
    expect(res.status).toBe(400);
    const body = (await res.json()) as Body;
    expect(body.error?.code).toBe("invalid_input");
    expect(body.error?.details).toEqual([expect.objectContaining({ path: "name" })]);
  });

  it("answers any other error with a generic 500 that leaks nothing, and logs it", async () => {
    const h = route<undefined>(() => Promise.reject(new Error("connection string postgresql://secret@db")));
    const res = await h(new Request(URL_, { headers: { "x-request-id": "req-42" } }), undefined);
    expect(res.status).toBe(500);
    const body = (await res.json()) as Body;
    expect(body.error?.code).toBe("internal");
    expect(JSON.stringify(body)).not.toContain("secret");
    // The log has it, under the request's id (the browser got the same id in x-request-id).
    const [entry, message] = logError.mock.calls[0] as [{ req?: string; err?: { message?: string } }, string];
    expect(message).toBe("unhandled error");
    expect(entry.req).toBe("req-42");
    expect(entry.err?.message).toBe("connection string postgresql://secret@db");
  });

  it("refuses a cross-site POST by Sec-Fetch-Site without calling the handler", async () => {
    const fn = vi.fn(() => Promise.resolve(new Response("ran")));
    const h = route<undefined>(fn);
    const res = await h(post(null, { "sec-fetch-site": "cross-site" }), undefined);
    expect(res.status).toBe(403);
    expect(((await res.json()) as Body).error?.code).toBe("forbidden");
    expect(fn).not.toHaveBeenCalled();
  });

  it("refuses a POST whose Origin is not the host (or the forwarded host)", async () => {
    const fn = vi.fn(() => Promise.resolve(new Response("ran")));
    const h = route<undefined>(fn);
    expect((await h(post(null, { origin: "https://evil.example", host: "parley.test" }), undefined)).status).toBe(403);
    expect((await h(post(null, { origin: "http://parley.test:8080", host: "parley.test" }), undefined)).status).toBe(403);
    expect((await h(post(null, { origin: "https://parley.test", host: "127.0.0.1:3000", "x-forwarded-host": "evil.example" }), undefined)).status).toBe(403);
    for (const method of ["PUT", "PATCH", "DELETE"]) {
      const r = new Request(URL_, { method, headers: { origin: "https://evil.example", host: "parley.test" } });
      expect((await h(r, undefined)).status).toBe(403);
    }
    expect(fn).not.toHaveBeenCalled();
  });

  it("lets same-origin and header-less requests through", async () => {
    expect((await ok(post(null, { origin: "https://parley.test", host: "parley.test" }), undefined)).status).toBe(200);
    expect((await ok(post(null, { origin: "https://parley.test", host: "127.0.0.1:3000", "x-forwarded-host": "parley.test" }), undefined)).status).toBe(200);
    expect((await ok(post(null, { "sec-fetch-site": "same-origin", origin: "http://parley.test", host: "parley.test" }), undefined)).status).toBe(200);
    expect((await ok(post(null), undefined)).status).toBe(200); // curl, server-to-server
  });

  it("does not apply the cross-site check to GET/HEAD", async () => {
    const get = new Request(URL_, { headers: { "sec-fetch-site": "cross-site", origin: "https://evil.example", host: "parley.test" } });
    expect((await ok(get, undefined)).status).toBe(200);
    const head = new Request(URL_, { method: "HEAD", headers: { "sec-fetch-site": "cross-site" } });
    expect((await ok(head, undefined)).status).toBe(200);
  });

  // Regression: an Origin that is not a URL made `new URL()` throw, answered 500.
  it("refuses (403, not 500) a POST with an unparsable Origin", async () => {
    const res = await ok(post(null, { origin: "not a url", host: "parley.test" }), undefined);
    expect(res.status).toBe(403);
  });
});
