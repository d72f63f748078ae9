// HTTP helpers for API-level end-to-end tests: each actor is a Playwright APIRequestContext
// holding its own next-auth session cookie, signed in through the real credentials flow
// (GET /api/auth/csrf → POST /api/auth/callback/<provider>). Event streams are read with Node's
// fetch (Playwright's request would wait for the end of the body), with the actor's cookies.
import { randomUUID } from "node:crypto";
import http from "node:http";
import { expect, type APIRequestContext, type PlaywrightWorkerArgs } from "@playwright/test";
import { z } from "zod";
import { readFrames, type Frame } from "../../tests/support/sse-frames";
import { apiError, createConsultAnswer, inviteAnswer, roomSnapshot, streamEvent, type RoomSnapshot, type StreamEvent } from "../../lib/shared/api";
import { totpStartAnswer } from "../../lib/shared/factors";
import { totpCode } from "./authenticators";

export type Playwright = PlaywrightWorkerArgs["playwright"];

export const DEMO_PASSWORD = process.env.DEMO_PASSWORD ?? "parley-demo";
export const DEMO_DOCTOR = "doctor@parley.test";
export const DEMO_ADMIN = "admin@parley.test";

export type Actor = {
  label: string;
  baseURL: string;
  request: APIRequestContext;
  /** undefined for an anonymous caller */
  user?: { id: string; name: string };
};

/** What came back, read once: status, content type and the body as text. */
export type Answer = { status: number; contentType: string; text: string };

/** The base URL of the running project (`use.baseURL` in playwright.config.ts). */
export function projectBaseURL(baseURL: string | undefined): string {
  if (!baseURL) throw new Error("this spec needs a project with use.baseURL (the pg project)");
  return baseURL;
}

export async function anonymous(playwright: Playwright, baseURL: string, label = "anonymous"): Promise<Actor> {
  return { label, baseURL, request: await playwright.request.newContext({ baseURL }) };
}

const sessionAnswer = z.object({ user: z.object({ id: z.string(), name: z.string().nullish() }) }).nullable();
const csrfAnswer = z.object({ csrfToken: z.string().min(1) });
const redirectAnswer = z.object({ url: z.string() });

/** next-auth refused a sign-in; `code` is the provider's reason (e.g. `used`, `revoked`, `ended` for invites). */
export class SignInRefused extends Error {
  constructor(
    readonly provider: string,
    readonly error: string,
    readonly code: string,
  ) {
    super(`sign-in via ${provider} refused: ${error} ${code}`);
  }
}

/**
 * next-auth's credentials flow over HTTP. With `X-Auth-Return-Redirect` next-auth answers
 * `{ url }` instead of a 302; a refused sign-in points at the error page (`?error=…&code=…`).
 * Returns the session's user, read back from /api/auth/session.
 */
async function credentialsSignIn(request: APIRequestContext, provider: "staff" | "invite", fields: Record<string, string>, headers: Record<string, string> = {}) {
  const csrf = await request.get("/api/auth/csrf");
  expect(csrf.status(), "GET /api/auth/csrf").toBe(200);
  const { csrfToken } = csrfAnswer.parse(await csrf.json());
  const res = await request.post(`/api/auth/callback/${provider}`, {
    form: { ...fields, csrfToken, callbackUrl: "/" },
    headers: { "X-Auth-Return-Redirect": "1", ...headers },
    maxRedirects: 0,
  });
  const text = await res.text();
  expect(res.status(), `sign-in via ${provider}: ${text}`).toBe(200);
  const { url } = redirectAnswer.parse(JSON.parse(text));
  const error = new URL(url, "http://x").searchParams;
  if (error.has("error")) throw new SignInRefused(provider, error.get("error") ?? "", error.get("code") ?? "");
  const session = sessionAnswer.parse(await (await request.get("/api/auth/session")).json());
  if (!session) throw new Error(`sign-in via ${provider} set no session`);
  return { id: session.user.id, name: session.user.name ?? "" };
}

/** A doctor or admin, signed in with email and password (`headers`: e.g. a proxy's X-Forwarded-For). */
export async function signInStaff(playwright: Playwright, baseURL: string, email: string, password = DEMO_PASSWORD, label = email, headers: Record<string, string> = {}): Promise<Actor> {
  const request = await playwright.request.newContext({ baseURL });
  try {
    return { label, baseURL, request, user: await credentialsSignIn(request, "staff", { email, password }, headers) };
  } catch (err) {
    await request.dispose();
    throw err;
  }
}

/**
 * A patient: redeems an invite token (the guest lands in the consult's waiting room). `label` names
 * them in the test only: a name goes to the server only sealed (PROTOCOL §6), and here not at all.
 */
export async function redeemInvite(playwright: Playwright, baseURL: string, token: string, label: string): Promise<Actor> {
  const request = await playwright.request.newContext({ baseURL });
  try {
    return { label, baseURL, request, user: await credentialsSignIn(request, "invite", { token }) };
  } catch (err) {
    await request.dispose();
    throw err;
  }
}

/** The invite token is the last path segment of an invite URL (`<origin>/join/<token>`). */
export function inviteTokenOf(url: string): string {
  const token = new URL(url).pathname.split("/").pop();
  if (!token) throw new Error(`no token in ${url}`);
  return token;
}

export async function dispose(...actors: (Actor | undefined)[]): Promise<void> {
  await Promise.all(actors.filter((a): a is Actor => a !== undefined).map((a) => a.request.dispose()));
}

// ---- plain requests ----

export type Call = {
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  /** an object is sent as JSON; a string or Buffer byte for byte (set the content type in `headers`) */
  data?: unknown;
  headers?: Record<string, string>;
};

/** One request with the actor's session; never throws on an HTTP status. */
export async function send(actor: Actor, call: Call): Promise<Answer> {
  const res = await actor.request.fetch(call.path, {
    method: call.method,
    headers: call.headers,
    // A string goes as a Buffer: Playwright would JSON-encode a string that is not valid JSON.
    data: typeof call.data === "string" ? Buffer.from(call.data) : call.data,
    failOnStatusCode: false,
    maxRedirects: 0,
  });
  return { status: res.status(), contentType: res.headers()["content-type"] ?? "", text: await res.text() };
}

/**
 * A request through a blob link of the right shape whose MAC is not the server's (claims of a GET,
 * a made-up signature): the filesystem store's route must refuse it.
 */
export function forgedBlobRequest(method: "GET" | "PUT"): Call {
  const claims = Buffer.from(JSON.stringify({ op: "get", key: "f/x", exp: 4_102_444_800 })).toString("base64url");
  const path = `/api/blobs/${claims}.${randomUUID().replace(/-/g, "")}`;
  return method === "GET" ? { method, path } : { method, path, data: "ciphertext", headers: { "content-type": "application/octet-stream" } };
}

/** Parses a successful JSON answer against a schema, failing with the body when the status is off. */
export function okJson<S extends z.ZodType>(answer: Answer, schema: S, status = 200): z.infer<S> {
  expect(answer.status, answer.text).toBe(status);
  return schema.parse(JSON.parse(answer.text));
}

/** Asserts the `{ error: { code, message } }` shape (and only that) and returns the error. */
export function expectApiError(answer: Answer): z.infer<typeof apiError>["error"] {
  expect(answer.contentType, `content type of ${answer.status} ${answer.text}`).toMatch(/^application\/json\b/);
  const body: unknown = JSON.parse(answer.text);
  const parsed = apiError.strict().safeParse(body);
  expect(parsed.success, `error body: ${answer.text}`).toBe(true);
  if (!parsed.success) throw parsed.error;
  expect(parsed.data.error.code).not.toBe("");
  expect(parsed.data.error.message).not.toBe("");
  return parsed.data.error;
}

export async function createConsult(doctor: Actor, body: Record<string, unknown> = {}) {
  const created = okJson(await send(doctor, { method: "POST", path: "/api/consults", data: body }), createConsultAnswer, 201);
  return { ...created, token: inviteTokenOf(created.url) };
}

export async function getSnapshot(actor: Actor, consultId: string): Promise<RoomSnapshot> {
  return okJson(await send(actor, { method: "GET", path: `/api/consults/${consultId}` }), roomSnapshot);
}

export async function admit(doctor: Actor, consultId: string, participantId: string): Promise<void> {
  okJson(await send(doctor, { method: "POST", path: `/api/consults/${consultId}/admit`, data: { participantId } }), z.object({ ok: z.literal(true) }));
}

export async function newInvite(doctor: Actor, consultId: string) {
  const invite = okJson(await send(doctor, { method: "POST", path: `/api/consults/${consultId}/invites`, data: {} }), inviteAnswer, 201);
  return { ...invite, token: inviteTokenOf(invite.url) };
}

export async function revokeInvite(doctor: Actor, consultId: string, inviteId: string): Promise<void> {
  okJson(await send(doctor, { method: "DELETE", path: `/api/consults/${consultId}/invites/${inviteId}` }), z.object({ ok: z.literal(true) }));
}

export type SignalBody = { to?: string; type: string; payload: Record<string, unknown> };

export async function postSignal(actor: Actor, consultId: string, body: SignalBody): Promise<void> {
  okJson(await send(actor, { method: "POST", path: `/api/consults/${consultId}/signals`, data: body }), z.object({ ok: z.literal(true) }), 201);
}

/** The caller's participant id in a consult (`me` of the room snapshot). */
export async function participantId(actor: Actor, consultId: string): Promise<string> {
  return (await getSnapshot(actor, consultId)).me.id;
}

export type AdmittedConsult = { consultId: string; patient: Actor; patientParticipantId: string; doctorParticipantId: string };

/** Doctor creates a consult; a patient redeems its invite and is admitted. */
export async function admittedConsult(playwright: Playwright, doctor: Actor, patientName: string): Promise<AdmittedConsult> {
  const consult = await createConsult(doctor);
  const patient = await redeemInvite(playwright, doctor.baseURL, consult.token, patientName);
  const patientParticipantId = await participantId(patient, consult.id);
  await admit(doctor, consult.id, patientParticipantId);
  const doctorParticipantId = await participantId(doctor, consult.id);
  return { consultId: consult.id, patient, patientParticipantId, doctorParticipantId };
}

// ---- event streams (Node's fetch) ----

/** `name=value; …` for the actor's cookies that apply to its base URL. */
export async function cookieHeader(actor: Actor): Promise<string> {
  const host = new URL(actor.baseURL).hostname;
  const { cookies } = await actor.request.storageState();
  return cookies
    .filter((c) => c.domain.replace(/^\./, "") === host)
    .map((c) => `${c.name}=${c.value}`)
    .join("; ");
}

/** One SSE frame as received: fields of one block up to a blank line. */
export type SseFrame = Frame;

/** A received log event: the SSE `id:`/`event:` lines and the parsed `data:`. */
export type ReceivedEvent = { id: number; event: string; data: StreamEvent };

/**
 * An open event stream, read in the background into `frames` until it ends or is closed.
 * Wait on it with expect.poll (e.g. on `events().length`); close() aborts the request.
 */
export class EventStream {
  readonly frames: SseFrame[] = [];
  ended = false;
  failure: unknown;
  private pumping: Promise<void> = Promise.resolve();

  private constructor(
    readonly status: number,
    readonly contentType: string,
    private readonly response: Response,
    private readonly controller: AbortController,
  ) {}

  /**
   * Opens `path` with the actor's cookies (none for an anonymous actor). A 200 event stream is
   * read in the background; any other answer is read whole into `text` and the stream is closed.
   */
  static async open(actor: Actor, path: string, headers: Record<string, string> = {}, headersTimeoutMs = 10_000): Promise<{ stream: EventStream; text: string }> {
    const controller = new AbortController();
    const guard = setTimeout(() => controller.abort(new Error(`no answer headers from ${path} within ${headersTimeoutMs} ms`)), headersTimeoutMs);
    const cookie = await cookieHeader(actor);
    let response: Response;
    try {
      response = await fetch(new URL(path, actor.baseURL), {
        headers: { accept: "text/event-stream", ...(cookie ? { cookie } : {}), ...headers },
        signal: controller.signal,
      });
    } finally {
      clearTimeout(guard);
    }
    const stream = new EventStream(response.status, response.headers.get("content-type") ?? "", response, controller);
    if (response.status === 200 && /^text\/event-stream\b/.test(stream.contentType)) {
      stream.pumping = stream.pump();
      return { stream, text: "" };
    }
    // Not a stream: read it whole, with the same guard against a body that never ends.
    const bodyGuard = setTimeout(() => controller.abort(new Error(`body of ${path} did not end within ${headersTimeoutMs} ms`)), headersTimeoutMs);
    try {
      const text = await response.text();
      stream.ended = true;
      return { stream, text };
    } finally {
      clearTimeout(bodyGuard);
    }
  }

  /** Status, content type and (for non-streams) the body, as an Answer; closes a live stream. */
  static async answer(actor: Actor, path: string, headers: Record<string, string> = {}): Promise<Answer> {
    const { stream, text } = await EventStream.open(actor, path, headers);
    await stream.close();
    return { status: stream.status, contentType: stream.contentType, text };
  }

  private async pump(): Promise<void> {
    const body = this.response.body;
    try {
      if (body) for await (const frame of readFrames(body)) this.frames.push(frame);
    } catch (err) {
      if (!this.controller.signal.aborted) this.failure = err;
    } finally {
      this.ended = true;
    }
  }

  /** Frames that carry a log event (`id:` and `data:`), parsed and checked against the schema. */
  events(): ReceivedEvent[] {
    const out: ReceivedEvent[] = [];
    for (const f of this.frames) {
      if (f.id === undefined || f.data === undefined) continue;
      out.push({ id: Number(f.id), event: f.event ?? "message", data: streamEvent.parse(JSON.parse(f.data)) });
    }
    return out;
  }

  /** Aborts the request (if still open) and waits for the reader to stop. */
  async close(): Promise<void> {
    this.controller.abort();
    await this.pumping;
  }
}

/**
 * Sends a body in chunks with chunked transfer encoding (no content-length), so the server cannot
 * refuse it from the headers alone. Uses node:http on a fresh connection: undici's fetch, given a
 * streamed body that the server answers before reading it all, now and then waits for a
 * keep-alive timeout and fails with ECONNRESET instead of surfacing the answer.
 */
export async function sendChunked(actor: Actor, method: "POST" | "PUT" | "DELETE", path: string, chunks: Uint8Array[], contentType = "application/json"): Promise<Answer> {
  const cookie = await cookieHeader(actor);
  const url = new URL(path, actor.baseURL);
  return new Promise<Answer>((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method,
        agent: false,
        timeout: 15_000,
        headers: { "content-type": contentType, "transfer-encoding": "chunked", ...(cookie ? { cookie } : {}) },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on("data", (d: Buffer) => parts.push(d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers["content-type"] ?? ""), text: Buffer.concat(parts).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer to the chunked ${method} ${path} within 15 s`)));
    req.on("error", reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

/**
 * A new doctor with an authenticator app, signed in with the password only: the session waits
 * for the second factor (a server with STAFF_MFA optional or required). `secret` computes codes.
 */
export async function halfSignedInDoctor(playwright: Playwright, baseURL: string, account: { email: string; password: string }): Promise<{ actor: Actor; secret: string }> {
  const full = await signInStaff(playwright, baseURL, account.email, account.password, "doctor enrolling an app");
  try {
    const started = await send(full, { method: "POST", path: "/api/account/totp", data: {} });
    const { secret } = totpStartAnswer.parse(JSON.parse(started.text));
    const confirmed = await send(full, { method: "POST", path: "/api/account/totp/confirm", data: { code: totpCode(secret) } });
    expect(confirmed.status, confirmed.text).toBe(200);
    const actor = await signInStaff(playwright, baseURL, account.email, account.password, "doctor without the second factor yet");
    return { actor, secret };
  } finally {
    await dispose(full);
  }
}
