// Sign-in backoff in the database (lib/server/auth/throttle.ts and staff-sign-in.ts) on both
// databases: failures count per account and per address, atomically; the wait is shared by
// whoever reads the table (every instance); the right password is refused only during a wait and
// then clears the account; a refused attempt is not a failure.
import { randomUUID } from "node:crypto";
import { beforeAll, expect, it } from "vitest";

import { hashPassword } from "@/lib/server/auth/password";
import { passwordSignIn } from "@/lib/server/auth/staff-sign-in";
import { recordFailure, throttleWaitMs } from "@/lib/server/auth/throttle";

import { describeBackends, setupDatabase, setupTestEnv } from "../support/db";

setupTestEnv();

const PASSWORD = "the doctor's real passphrase";

describeBackends("sign-in backoff", (kind) => {
  const t = setupDatabase(kind);
  let email: string;

  beforeAll(async () => {
    email = `throttle-${kind}-${randomUUID().slice(0, 8)}@parley.test`;
    await t.db.user.create({ data: { email, name: "Dr. Throttle", role: "doctor", passwordHash: await hashPassword(PASSWORD) } });
  });

  it("counts simultaneous failures exactly, and waits only after the free ones", async () => {
    const keys = { account: `race-${kind}@parley.test`, address: undefined };
    await Promise.all(Array.from({ length: 5 }, () => recordFailure(t.db, keys)));
    expect((await t.db.signInThrottle.findUniqueOrThrow({ where: { key: `account:${keys.account}` } })).failures).toBe(5);
    expect(await throttleWaitMs(t.db, keys)).toBe(0);
    await recordFailure(t.db, keys);
    expect(await throttleWaitMs(t.db, keys)).toBeGreaterThan(0);
  });

  it("50 wrong passwords from 50 addresses put the account in a wait, not a lockout", async () => {
    const client = (i: number) => ({ ip: `198.51.100.${i}`, userAgent: "attacker" });
    // The attack at one instant (the clock is passed in), so the schedule alone decides.
    const at = new Date();
    const codes: string[] = [];
    for (let i = 0; i < 50; i++) {
      const r = await passwordSignIn(t.db, { email, password: `guess ${i}` }, client(i), at);
      codes.push(r.ok ? "ok" : r.code);
    }
    // Only checked passwords count: the first 6 (the 6th starts a 1 s wait), then everything waits.
    const checked = codes.filter((c) => c === "credentials").length;
    expect(checked).toBe(6);
    expect(codes.filter((c) => c === "throttled")).toHaveLength(44);
    const row = await t.db.signInThrottle.findUniqueOrThrow({ where: { key: `account:${email}` } });
    expect(row.failures).toBe(checked);

    const doctor = { ip: "192.0.2.10", userAgent: "the doctor" };
    const during = await passwordSignIn(t.db, { email, password: PASSWORD }, doctor, at);
    expect(during).toMatchObject({ ok: false, code: "throttled" });
    expect(await throttleWaitMs(t.db, { account: email, address: doctor.ip }, at)).toBe(1_000);
    const after = await passwordSignIn(t.db, { email, password: PASSWORD }, doctor, new Date(at.getTime() + 1_000));
    expect(after.ok).toBe(true);
    expect(await t.db.signInThrottle.findUnique({ where: { key: `account:${email}` } })).toBeNull();
    const audit = await t.db.auditEvent.groupBy({ by: ["action"], where: { detail: { path: ["email"], equals: email } }, _count: true });
    expect(Object.fromEntries(audit.map((a) => [a.action, a._count]))).toMatchObject({ "auth.sign_in_failed": checked, "auth.sign_in_throttled": 51 - checked });
  });

  it("an address with many failures waits whatever account it tries", async () => {
    const ip = "203.0.113.77";
    for (let i = 0; i < 21; i++) await recordFailure(t.db, { account: `spray-${i}-${kind}@parley.test`, address: ip });
    expect(await throttleWaitMs(t.db, { account: email, address: ip })).toBeGreaterThan(0);
    expect(await throttleWaitMs(t.db, { account: email, address: "203.0.113.78" })).toBe(0);
  });

  it("a right password from a shared address brings it back below its free attempts", async () => {
    const ip = "203.0.113.90";
    for (let i = 0; i < 20; i++) await recordFailure(t.db, { account: `typo-${i}-${kind}@parley.test`, address: ip });
    expect((await passwordSignIn(t.db, { email, password: PASSWORD }, { ip, userAgent: "colleague" })).ok).toBe(true);
    await recordFailure(t.db, { account: `typo-x-${kind}@parley.test`, address: ip });
    expect(await throttleWaitMs(t.db, { account: email, address: ip })).toBe(0);
    await recordFailure(t.db, { account: `typo-y-${kind}@parley.test`, address: ip });
    expect(await throttleWaitMs(t.db, { account: email, address: ip })).toBeGreaterThan(0);
  });
});
