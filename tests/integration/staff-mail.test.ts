// With SMTP_URL set, a new staff member's one-time link is also mailed (lib/server/mail.ts,
// nodemailer), here to a real SMTP server on loopback (smtp-server, from nodemailer's authors).
// A mail server that refuses is reported (mailed: false), never fatal: the admin has the link.
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { SMTPServer } from "smtp-server";

import { mailLink } from "@/lib/server/mail";

import { setupTestEnv } from "../support/db";

setupTestEnv();

const received: { from: string; to: string[]; text: string }[] = [];
let server: SMTPServer;
let port = 0;

beforeAll(async () => {
  server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      let text = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => (text += chunk));
      stream.on("end", () => {
        // quoted-printable soft line breaks joined, so a long link reads as one
        received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "", to: session.envelope.rcptTo.map((r) => r.address), text: text.replace(/=\r\n/g, "") });
        callback();
      });
    },
    onRcptTo(address, _session, callback) {
      callback(address.address.endsWith("@refused.test") ? new Error("no such mailbox") : undefined);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.server.address() as AddressInfo).port;
  process.env.SMTP_URL = `smtp://127.0.0.1:${port}`;
  process.env.SMTP_FROM = "Parley <parley@clinic.test>";
  delete (globalThis as { __parleyEnv?: unknown }).__parleyEnv;
});

afterAll(async () => {
  delete process.env.SMTP_URL;
  delete process.env.SMTP_FROM;
  delete (globalThis as { __parleyEnv?: unknown }).__parleyEnv;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

it("mails the one-time link to the new staff member", async () => {
  const url = "https://parley.clinic.test/account/setup/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  const ok = await mailLink({ to: "bea@clinic.test", name: "Dr. Bea", url, expiresAt: new Date(Date.now() + 3_600_000).toISOString(), kind: "welcome" });
  expect(ok).toBe(true);
  expect(received).toHaveLength(1);
  expect(received[0]?.to).toEqual(["bea@clinic.test"]);
  expect(received[0]?.from).toBe("parley@clinic.test");
  expect(received[0]?.text).toContain(url);
  expect(received[0]?.text).toContain("Subject: Your Parley account");
});

it("reports a refused mail instead of failing", async () => {
  const ok = await mailLink({ to: "nobody@refused.test", name: "Nobody", url: "https://x.test/account/setup/x", expiresAt: new Date().toISOString(), kind: "reset" });
  expect(ok).toBe(false);
});
