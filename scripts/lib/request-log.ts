// One log entry per answered request (method, path with link tokens masked, status, duration)
// under a request id. The id also goes to the app as the x-request-id request header (its own log
// entries carry it) and back to the browser in the answer, so a person's report of a failure can
// be matched to the log. An id a client sends is kept only from a trusted proxy (TRUSTED_PROXIES),
// which may have logged it first.
import { randomUUID } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { Logger } from "pino";

export const REQUEST_ID_HEADER = "x-request-id";
const GIVEN_ID = /^[A-Za-z0-9._:-]{1,64}$/;
/** Paths whose last part is a secret (invite, setup and password links, signed blob URLs). */
const TOKEN_PATH = /^(\/join|\/setup|\/account\/setup|\/api\/blobs)\/[^/]+/;
/** Not worth a line each: build assets and liveness probes. */
const QUIET = /^\/(_next\/static\/|favicon\.ico$|api\/health$)/;

/** The path as logged: no query string, link tokens replaced by ":token". */
export function loggedPath(url: string | undefined): string {
  const path = (url ?? "/").split(/[?#]/)[0] ?? "/";
  return path.replace(TOKEN_PATH, "$1/:token");
}

/** Gives the request its id (a trusted proxy's, else a new one) and logs the answer when it ends. */
export function trackRequest(log: Logger, req: IncomingMessage, res: ServerResponse, trustGivenId: boolean): void {
  // Node builds these lazily from rawHeaders and its count: build them before rawHeaders changes.
  const { headers, headersDistinct, rawHeaders } = req;
  const given = headers[REQUEST_ID_HEADER];
  const id = trustGivenId && typeof given === "string" && GIVEN_ID.test(given) ? given : randomUUID();
  headers[REQUEST_ID_HEADER] = id;
  headersDistinct[REQUEST_ID_HEADER] = [id];
  for (let i = rawHeaders.length - 2; i >= 0; i -= 2) {
    if (rawHeaders[i]?.toLowerCase() === REQUEST_ID_HEADER) rawHeaders.splice(i, 2);
  }
  rawHeaders.push(REQUEST_ID_HEADER, id);
  res.setHeader(REQUEST_ID_HEADER, id);
  const path = loggedPath(req.url);
  if (QUIET.test(path)) return;
  const started = performance.now();
  res.once("close", () => {
    const entry = { req: id, method: req.method, path, status: res.statusCode, ms: Math.round(performance.now() - started), ...(res.writableFinished ? {} : { aborted: true }) };
    if (res.statusCode >= 500) log.error(entry, "request");
    else log.info(entry, "request");
  });
}

type Emit = (this: unknown, event: string | symbol, ...args: unknown[]) => boolean;

/** Tracks every request of every HTTP server in this process (as client-ip.ts stamps them). */
export function installRequestLog(log: Logger, trustGivenId: boolean): void {
  const proto = http.Server.prototype as unknown as { emit: Emit };
  const emit = proto.emit;
  proto.emit = function (event, ...args) {
    if (event === "request") trackRequest(log, args[0] as IncomingMessage, args[1] as ServerResponse, trustGivenId);
    return emit.call(this, event, ...args);
  };
}
