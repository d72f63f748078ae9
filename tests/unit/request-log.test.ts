// scripts/lib/request-log.ts with a real HTTP server: every answer carries a request id, the app
// sees the same id, the log line has method, masked path, status and time, and no link token or
// query string ever reaches the log.
import http from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loggedPath, trackRequest } from "@/scripts/lib/request-log";

const lines: Record<string, unknown>[] = [];
const log = pino({ base: null }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
let trust = false;
let seenByApp: string | undefined;
const server = http.createServer((req, res) => {
  trackRequest(log, req, res, trust);
  seenByApp = req.headers["x-request-id"] as string;
  res.statusCode = req.url?.startsWith("/boom") ? 500 : 200;
  res.end("ok");
});
let base = "";
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** The log line for a request once its answer has been read (the line is written on close). */
async function call(path: string, headers: Record<string, string> = {}): Promise<{ id: string | null; line: Record<string, unknown> | undefined }> {
  const before = lines.length;
  const res = await fetch(base + path, { headers });
  await res.text();
  for (let i = 0; i < 50 && lines.length === before; i++) await new Promise((r) => setTimeout(r, 10));
  return { id: res.headers.get("x-request-id"), line: lines[before] };
}

it("masks link tokens and drops the query string", () => {
  expect(loggedPath("/join/abcDEF123_-xyz?utm=1")).toBe("/join/:token");
  expect(loggedPath("/setup/tok")).toBe("/setup/:token");
  expect(loggedPath("/account/setup/tok")).toBe("/account/setup/:token");
  expect(loggedPath("/api/blobs/eyJhbGciOi.sig")).toBe("/api/blobs/:token");
  expect(loggedPath("/api/consults/0b5c/events?after=12")).toBe("/api/consults/0b5c/events");
});

it("gives each answer an id the app sees too, and logs method, masked path, status and time under it", async () => {
  const { id, line } = await call("/join/secret-invite-token?name=Pat");
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  expect(seenByApp).toBe(id);
  expect(line).toMatchObject({ level: 30, msg: "request", req: id, method: "GET", path: "/join/:token", status: 200 });
  expect(typeof line?.ms).toBe("number");
  expect(JSON.stringify(line)).not.toMatch(/secret-invite-token|Pat/);
  const boom = await call("/boom");
  expect(boom.line).toMatchObject({ level: 50, status: 500, path: "/boom" });
});

it("keeps a proxy's request id only when proxies are trusted", async () => {
  trust = false;
  expect((await call("/", { "x-request-id": "from-the-client" })).id).not.toBe("from-the-client");
  trust = true;
  const { id, line } = await call("/", { "x-request-id": "lb-7f3a" });
  expect(id).toBe("lb-7f3a");
  expect(line?.req).toBe("lb-7f3a");
  // Not an id: a new one instead.
  expect((await call("/", { "x-request-id": "<script>" })).id).toMatch(/^[0-9a-f-]{36}$/);
});

it("writes no line for build assets or liveness probes", async () => {
  for (const path of ["/_next/static/chunks/app.js", "/api/health"]) {
    const { id, line } = await call(path);
    expect(id).toBeTruthy();
    expect(line).toBeUndefined();
  }
});
