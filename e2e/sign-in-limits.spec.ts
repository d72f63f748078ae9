// Sign-in backoff across instances (project pg; the tofu server is a second instance on the same
// PostgreSQL): wrong passwords on one instance make the other wait too, the wait is a backoff that
// ends, and a forged X-Forwarded-For does not change who is counted (TRUSTED_PROXIES=0 here).
import { expect, test } from "@playwright/test";
import { dispose, projectBaseURL, signInStaff, SignInRefused } from "./support/api";
import { TestDb } from "./support/db";

const TOFU = "http://127.0.0.1:3102";

let db: TestDb;
test.beforeAll(async () => {
  db = await TestDb.connect();
});
test.afterAll(async () => {
  await db.close();
});

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof SignInRefused) return err.code || err.error;
    throw err;
  }
  return "signed in";
}

test("two instances share the backoff: wrong passwords on one make the right one wait on the other, then work", async ({ playwright }, testInfo) => {
  const pg = projectBaseURL(testInfo.project.use.baseURL);
  const doctor = await db.createStaff("doctor", "Dr. Backoff");
  // Five free attempts, then a sixth wrong password starts a one-second wait.
  for (let i = 0; i < 6; i++) {
    const forged = { "x-forwarded-for": `198.51.100.${i + 1}` };
    expect(await refusal(signInStaff(playwright, pg, doctor.email, `wrong ${i}`, "attacker", forged))).toBe("credentials");
  }
  expect(await refusal(signInStaff(playwright, TOFU, doctor.email, doctor.password))).toBe("throttled");
  // The forged addresses were not believed: every attempt is recorded from the real one.
  const ips = (await db.signInAudit(doctor.email, "auth.sign_in_failed")).map((r) => r.ip);
  expect(ips).toHaveLength(6);
  expect(new Set(ips)).toEqual(new Set(["127.0.0.1"]));
  await expect.poll(async () => refusal(signInStaff(playwright, TOFU, doctor.email, doctor.password).then(dispose)), { intervals: [500], timeout: 10_000 }).toBe("signed in");
});
