import "server-only";
// The thin shell around every route handler: parse (zod) → authorize → call lib/server → respond.
// Any ApiError becomes `{ error: { code, message } }` with its status; anything else is a bug,
// logged and answered 500 without detail.
import type { z } from "zod";
import { ApiError } from "./errors";
import { errField, getLog } from "./log";
import { contextOf, withRequestContext } from "./request-context";

export const MAX_JSON_BYTES = 64 * 1024;

export function json(data: unknown, status = 200, headers?: HeadersInit): Response {
  return Response.json(data, { status, headers: { "cache-control": "no-store", ...headers } });
}

export function errorResponse(err: ApiError): Response {
  const headers = err.retryAfterSeconds === undefined ? undefined : { "retry-after": String(err.retryAfterSeconds) };
  return json({ error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } }, err.status, headers);
}

type Handler<C> = (req: Request, ctx: C) => Promise<Response>;

export function route<C>(fn: Handler<C>): Handler<C> {
  return async (req, ctx) => {
    try {
      refuseCrossSite(req);
      return await withRequestContext(contextOf(req), () => fn(req, ctx));
    } catch (err) {
      if (err instanceof ApiError) return errorResponse(err);
      getLog().error({ req: req.headers.get("x-request-id") ?? undefined, method: req.method, path: new URL(req.url).pathname, err: errField(err) }, "unhandled error");
      return json({ error: { code: "internal", message: "Something went wrong on the server. Try again; if it persists, tell your clinic admin." } }, 500);
    }
  };
}

/**
 * Cookies are SameSite=Lax already; on top of that, a state-changing request that a browser
 * marks as coming from another site is refused (defence in depth against CSRF).
 */
function refuseCrossSite(req: Request): void {
  if (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS") return;
  const site = req.headers.get("sec-fetch-site");
  if (site === "cross-site") throw new ApiError("forbidden", "Cross-site requests are not accepted");
  const origin = req.headers.get("origin");
  const host = req.headers.get("x-forwarded-host") ?? req.headers.get("host");
  if (origin && host && originHost(origin) !== host) {
    throw new ApiError("forbidden", "Cross-site requests are not accepted");
  }
}

/** The host of an Origin header; "null" or anything unparsable matches no host. */
function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

/** Reads at most `maxBytes` of the body; never buffers more than that. */
export async function readBodyText(req: Request, maxBytes = MAX_JSON_BYTES): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw new ApiError("payload_too_large", `The request body is larger than ${maxBytes} bytes`);
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch {
      // The client went away mid-request (a closed tab, a dropped network).
      throw new ApiError("invalid_input", "The request body was cut off before it ended");
    }
    const { done, value } = chunk;
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new ApiError("payload_too_large", `The request body is larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return new TextDecoder("utf-8", { fatal: false }).decode(Buffer.concat(chunks));
}

/** Parses a JSON body against a schema from lib/shared. An empty body counts as `{}`. */
export async function readJson<S extends z.ZodType>(req: Request, schema: S, maxBytes = MAX_JSON_BYTES): Promise<z.infer<S>> {
  const text = await readBodyText(req, maxBytes);
  const type = req.headers.get("content-type");
  if (text.length > 0 && !(type && /^application\/json\b/i.test(type))) {
    throw new ApiError("unsupported_media_type", "Send JSON (content-type: application/json)");
  }
  let value: unknown = {};
  if (text.trim() !== "") {
    try {
      value = JSON.parse(text);
    } catch {
      throw new ApiError("malformed_json", "The request body is not valid JSON");
    }
  }
  return parseWith(schema, value);
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    throw new ApiError(
      "invalid_input",
      "The request is not valid",
      r.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    );
  }
  return r.data;
}

/** Awaits Next's route params and validates them (an id that is not a UUID is simply not found). */
export async function readParams<S extends z.ZodType>(params: Promise<unknown>, schema: S): Promise<z.infer<S>> {
  const r = schema.safeParse(await params);
  if (!r.success) throw new ApiError("not_found", "Not found");
  return r.data;
}
