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

async function request<S extends z.ZodType>(method: string, url: string, body: unknown, schema?: S): Promise<z.infer<S>> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: body === undefined ? undefined : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    throw new ClientApiError(0, "network", "Could not reach the server. Check your connection and try again.");
  }
  const data: unknown = await res.json().catch(() => undefined);
  if (!res.ok) {
    const parsed = apiError.safeParse(data);
    throw new ClientApiError(res.status, parsed.success ? parsed.data.error.code : "http", parsed.success ? parsed.data.error.message : `The server answered ${res.status}. Try again.`);
  }
  return (schema ? schema.parse(data) : data) as z.infer<S>;
}

export const api = {
  post: <S extends z.ZodType>(url: string, body: unknown = {}, schema?: S) => request("POST", url, body, schema),
  get: <S extends z.ZodType>(url: string, schema?: S) => request("GET", url, undefined, schema),
  delete: <S extends z.ZodType>(url: string, schema?: S) => request("DELETE", url, undefined, schema),
};
