// The browser's calls to Parley's route handlers: JSON in, JSON out, errors as ClientApiError
// with the server's message (which says what happened and what to do).
import type { z } from "zod";
import { apiError } from "@/lib/shared/api";

export class ClientApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * How long a call may take before it is given up (status 0, code "timeout"), so a request that
 * is never answered fails where its caller can retry or say so, instead of waiting forever.
 */
export const REQUEST_TIMEOUT_MS = 60_000;

export type RequestOptions = { timeoutMs?: number };

const timedOut = () => new ClientApiError(0, "timeout", "The server did not answer in time. Check your connection and try again.");

async function request<S extends z.ZodType>(method: string, url: string, body: unknown, schema?: S, options: RequestOptions = {}): Promise<z.infer<S>> {
  const signal = AbortSignal.timeout(options.timeoutMs ?? REQUEST_TIMEOUT_MS);
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: body === undefined ? undefined : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      signal,
    });
  } catch {
    if (signal.aborted) throw timedOut();
    throw new ClientApiError(0, "network", "Could not reach the server. Check your connection and try again.");
  }
  const data: unknown = await res.json().catch(() => undefined);
  if (signal.aborted) throw timedOut();
  if (!res.ok) {
    const parsed = apiError.safeParse(data);
    throw new ClientApiError(res.status, parsed.success ? parsed.data.error.code : "http", parsed.success ? parsed.data.error.message : `The server answered ${res.status}. Try again.`);
  }
  return (schema ? schema.parse(data) : data) as z.infer<S>;
}

export const api = {
  post: <S extends z.ZodType>(url: string, body: unknown = {}, schema?: S, options?: RequestOptions) => request("POST", url, body, schema, options),
  get: <S extends z.ZodType>(url: string, schema?: S) => request("GET", url, undefined, schema),
  put: <S extends z.ZodType>(url: string, body: unknown = {}, schema?: S) => request("PUT", url, body, schema),
  delete: <S extends z.ZodType>(url: string, schema?: S) => request("DELETE", url, undefined, schema),
};
