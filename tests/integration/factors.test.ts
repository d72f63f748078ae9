// Second factors (lib/server/auth/factors.ts) on both databases: what a password is worth under
// STAFF_MFA, the authenticator app's set-up and codes (once each), recovery codes (once each),
// enrolment promoting a required-enrol session, the last factor kept where required, a reset
// removing them all.
import { beforeAll, expect, it } from "vitest";
import * as OTPAuth from "otpauth";

import { confirmTotp, completeSecondFactor, hasSecondFactor, removeTotp, stageAfterPassword, startTotp, type Me } from "@/lib/server/auth/factors";
import { createSession } from "@/lib/server/auth/sessions";
import { resetStaff } from "@/lib/server/staff/accounts";

import { apiErrorCode, createStaff, describeBackends, ORIGIN, setupDatabase, setupTestEnv, type Staff } from "../support/db";

setupTestEnv();

const code = (secret: string, at = Date.now()) => new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) }).generate({ timestamp: at });

it("a password's worth under STAFF_MFA", () => {
  expect(stageAfterPassword("off", true)).toBe("full");
  expect(stageAfterPassword("optional", false)).toBe("full");
  expect(stageAfterPassword("optional", true)).toBe("second_factor");
  expect(stageAfterPassword("required", false)).toBe("enrol");
  expect(stageAfterPassword("required", true)).toBe("second_factor");
});

describeBackends("second factors", (kind) => {
  const t = setupDatabase(kind);
  let doctor: Staff;
  let me: Me;
  let secret: string;
  let recovery: string[];

  beforeAll(async () => {
    doctor = await createStaff(t.db, "doctor");
    const sessionId = await createSession(t.db, { userId: doctor.id, method: "password", stage: "enrol" });
    me = { ...doctor, sessionId, stage: "enrol" };
  });

  it("sets up an authenticator app with a first code, which promotes the enrolling session, and gives 10 recovery codes", async () => {
    expect(await hasSecondFactor(t.db, doctor.id)).toBe(false);
    secret = (await startTotp(t.db, me)).secret;
    const row = await t.db.totpFactor.findUniqueOrThrow({ where: { userId: doctor.id } });
    expect(row.sealedSecret).not.toContain(secret); // sealed, not stored as is
    expect(await apiErrorCode(confirmTotp(t.db, me, "000000"))).toBe("invalid_input");
    recovery = await confirmTotp(t.db, me, code(secret));
    expect(recovery).toHaveLength(10);
    expect(await hasSecondFactor(t.db, doctor.id)).toBe(true);
    expect((await t.db.session.findUniqueOrThrow({ where: { id: me.sessionId ?? "" } })).stage).toBe("full");
  });

  it("a code completes a second-factor sign-in once; the same code cannot complete another", async () => {
    const c = code(secret, Date.now() + 30_000);
    const first = await createSession(t.db, { userId: doctor.id, method: "password", stage: "second_factor" });
    const second = await createSession(t.db, { userId: doctor.id, method: "password", stage: "second_factor" });
    await completeSecondFactor(t.db, { ...doctor, sessionId: first, stage: "second_factor" }, { code: c });
    expect(await apiErrorCode(completeSecondFactor(t.db, { ...doctor, sessionId: second, stage: "second_factor" }, { code: c }))).toBe("invalid_input");
    expect((await t.db.session.findUniqueOrThrow({ where: { id: first } })).stage).toBe("full");
    expect((await t.db.session.findUniqueOrThrow({ where: { id: second } })).stage).toBe("second_factor");
  });

  it("a recovery code works once, in any case and spacing", async () => {
    const [rc = ""] = recovery;
    const a = await createSession(t.db, { userId: doctor.id, method: "password", stage: "second_factor" });
    const b = await createSession(t.db, { userId: doctor.id, method: "password", stage: "second_factor" });
    await completeSecondFactor(t.db, { ...doctor, sessionId: a, stage: "second_factor" }, { recoveryCode: ` ${rc.toLowerCase()} ` });
    expect(await apiErrorCode(completeSecondFactor(t.db, { ...doctor, sessionId: b, stage: "second_factor" }, { recoveryCode: rc }))).toBe("invalid_input");
    expect(await t.db.recoveryCode.count({ where: { userId: doctor.id, usedAt: null } })).toBe(9);
  });

  it("removing the app removes its recovery codes; a reset removes every factor", async () => {
    await removeTotp(t.db, me);
    expect(await t.db.recoveryCode.count({ where: { userId: doctor.id } })).toBe(0);
    await startTotp(t.db, me);
    const s2 = (await t.db.totpFactor.findUniqueOrThrow({ where: { userId: doctor.id } })).sealedSecret;
    expect(s2).toBeTruthy();
    const admin = await createStaff(t.db, "admin");
    await resetStaff(t.db, { userId: admin.id, via: "admin" }, doctor.id, ORIGIN);
    expect(await t.db.totpFactor.count({ where: { userId: doctor.id } })).toBe(0);
  });
});
