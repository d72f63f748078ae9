import "server-only";
// What the server knows about the request it is answering, for the rows it writes about it (the
// audit trail's source address and user agent): set once by route() (lib/server/http.ts) for the
// whole handler, so no function between the handler and audit() has to pass it along.
import { AsyncLocalStorage } from "node:async_hooks";
import { requestIp } from "./net/request-ip";

export type RequestContext = { ip: string | undefined; userAgent: string | undefined };

const store = new AsyncLocalStorage<RequestContext>();

/** The longest user agent kept; real ones are a few hundred characters. */
const MAX_USER_AGENT = 512;

export function contextOf(req: Request | Headers): RequestContext {
  const headers = req instanceof Headers ? req : req.headers;
  return { ip: requestIp(headers), userAgent: headers.get("user-agent")?.slice(0, MAX_USER_AGENT) || undefined };
}

export function withRequestContext<T>(context: RequestContext, fn: () => Promise<T>): Promise<T> {
  return store.run(context, fn);
}

/** The current request's context, or undefined outside a request (the command line, background jobs). */
export function currentRequest(): RequestContext | undefined {
  return store.getStore();
}
