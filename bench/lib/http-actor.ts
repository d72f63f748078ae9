// A Parley user over plain HTTP, for the benchmark: a cookie jar, next-auth's credentials flow
// (GET /api/auth/csrf → POST /api/auth/callback/<provider>), JSON calls and the event stream.
import { readFrames, type Frame } from "../../tests/support/sse-frames";

export class HttpActor {
  private cookies = new Map<string, string>();
  constructor(readonly baseURL: string) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  private keepCookies(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const i = pair?.indexOf("=") ?? -1;
      if (pair && i > 0) this.cookies.set(pair.slice(0, i), pair.slice(i + 1));
    }
  }

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("cookie", this.cookieHeader());
    const res = await fetch(new URL(path, this.baseURL), { ...init, headers, redirect: "manual" });
    this.keepCookies(res);
    return res;
  }

  async json<T>(path: string, body?: unknown, method = body === undefined ? "GET" : "POST"): Promise<T> {
    const res = await this.fetch(path, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }

  async signIn(provider: "staff" | "invite", fields: Record<string, string>): Promise<void> {
    const { csrfToken } = await this.json<{ csrfToken: string }>("/api/auth/csrf");
    const res = await this.fetch(`/api/auth/callback/${provider}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-auth-return-redirect": "1" },
      body: new URLSearchParams({ ...fields, csrfToken, callbackUrl: "/" }),
    });
    const { url } = (await res.json()) as { url: string };
    if (new URL(url, this.baseURL).searchParams.has("error")) throw new Error(`sign-in via ${provider} refused: ${url}`);
  }

  /** Opens the caller's event stream of a consult; frames arrive through the returned iterator. */
  async stream(consultId: string, after: number, signal: AbortSignal): Promise<AsyncGenerator<Frame>> {
    const res = await this.fetch(`/api/consults/${consultId}/events?after=${after}`, { signal, headers: { accept: "text/event-stream" } });
    if (res.status !== 200 || !res.body) throw new Error(`event stream: ${res.status}`);
    return readFrames(res.body);
  }
}
