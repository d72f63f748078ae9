// End-to-end encryption in two real browsers: both people see the same call code, confirming on
// both sides verifies the call, a reload comes back verified without a new comparison, and a server
// that rewrites the handshake in transit never gets a "verified" call.
import { expect, test, type Browser, type Page } from "@playwright/test";
import { fromBase64Url, generateEphemeral, randomBytes, toBase64Url } from "../lib/crypto";
import { admitPatient, DEMO, expectConnected, newPatientContext, patientJoins, signIn } from "./flows/consult";
import { TestDb } from "./support/db";
import { rewriteSignals, substituteHellos } from "./support/lying-server";

test.describe.configure({ mode: "serial" });

function setUp(browser: Browser, baseURL: string | undefined, name: string, tamper?: (patient: Page, consultId: string) => Promise<void>) {
  return admitPatient(browser, baseURL, name, { beforeAdmit: tamper });
}

const status = (page: Page) => page.getByTestId("e2ee-status");

/** The consult key epochs this browser profile holds (IndexedDB "consultKeys"), sorted. */
function heldEpochs(page: Page): Promise<number[]> {
  return page.evaluate(
    () =>
      new Promise<number[]>((resolve, reject) => {
        const req = indexedDB.open("parley");
        req.onerror = () => reject(new Error("no IndexedDB"));
        req.onsuccess = () => {
          const all = req.result.transaction("consultKeys").objectStore("consultKeys").getAll();
          all.onsuccess = () => resolve((all.result as { epoch: number }[]).map((k) => k.epoch).sort((a, b) => a - b));
          all.onerror = () => reject(new Error("no keys"));
        };
      }),
  );
}

test("both sides show the same call code; confirming on both verifies the call; a reload comes back verified", async ({ browser, baseURL }) => {
  const call = await setUp(browser, baseURL, "Verified Patient");
  try {
    await expectConnected(call.doctor);
    await expectConnected(call.patient);
    for (const page of [call.doctor, call.patient]) await expect(status(page)).toHaveAttribute("data-state", "unverified");
    const code = (await call.doctor.getByTestId("call-code").textContent()) ?? "";
    expect(code).toMatch(/^\d{4} \d{4} \d{4}$/);
    await expect(call.patient.getByTestId("call-code")).toHaveText(code);

    // One confirmation is not enough.
    await expect(call.patient.getByTestId("consult-key")).toHaveAttribute("data-state", "missing");
    await call.doctor.getByTestId("verify-confirm").click();
    await expect(call.doctor.getByTestId("verify-confirm")).toBeDisabled();
    await expect(status(call.doctor)).toHaveAttribute("data-state", "unverified");
    await expect(call.doctor.getByText("Waiting for Verified Patient to confirm")).toBeVisible();
    await call.patient.getByTestId("verify-confirm").click();
    for (const page of [call.doctor, call.patient]) await expect(status(page)).toHaveAttribute("data-state", "verified");
    // Only now does the consult key travel: the doctor's device sends it to the verified patient.
    for (const page of [call.doctor, call.patient]) await expect(page.getByTestId("consult-key")).toHaveAttribute("data-state", "held");
    // The safety number (for comparing away from a call) is the same 60 digits on both sides.
    const safety = await call.doctor.getByTestId("safety-number").textContent();
    expect(safety).toMatch(/^(\d{5} ){11}\d{5}$/);
    await expect(call.patient.getByTestId("safety-number")).toHaveText(safety ?? "");

    // Reload: same devices, a new handshake and a new DTLS check, no new comparison.
    await call.patient.reload();
    await expectConnected(call.patient);
    await expectConnected(call.doctor);
    for (const page of [call.doctor, call.patient]) await expect(status(page)).toHaveAttribute("data-state", "verified");
  } finally {
    await call.close();
  }
});

test("a known person with a new key: key-warning until acknowledged, then the codes must be compared again", async ({ browser, baseURL }) => {
  const call = await setUp(browser, baseURL, "New Key Patient");
  try {
    await expectConnected(call.patient);
    await call.doctor.getByTestId("verify-confirm").click();
    await call.patient.getByTestId("verify-confirm").click();
    await expect(status(call.doctor)).toHaveAttribute("data-state", "verified");
    await expect(call.doctor.getByTestId("key-warning")).toHaveCount(0);

    // The patient's browser loses its keys (a new device, cleared site data); same person, new key.
    await call.patient.evaluate(() => {
      indexedDB.deleteDatabase("parley");
    });
    await call.patient.reload();
    await expectConnected(call.doctor);
    await expect(call.doctor.getByTestId("key-warning")).toBeVisible();
    await expect(status(call.doctor)).toHaveAttribute("data-state", "key-changed");
    await expect(call.doctor.getByTestId("verify-confirm")).toBeDisabled();
    await call.doctor.getByRole("button", { name: "I understand, compare the code" }).click();
    await expect(status(call.doctor)).toHaveAttribute("data-state", "unverified");
    await expect(call.patient.getByTestId("call-code")).toHaveText((await call.doctor.getByTestId("call-code").textContent()) ?? "");
    await call.doctor.getByTestId("verify-confirm").click();
    await call.patient.getByTestId("verify-confirm").click();
    for (const page of [call.doctor, call.patient]) await expect(status(page)).toHaveAttribute("data-state", "verified");
  } finally {
    await call.close();
  }
});

test("removing a patient starts a new key epoch: the next verified patient gets epoch 1", async ({ browser, baseURL }) => {
  const db = await TestDb.connect();
  const call = await setUp(browser, baseURL, "First Patient");
  const next = await newPatientContext(browser, baseURL);
  try {
    await expectConnected(call.patient);
    await call.doctor.getByTestId("verify-confirm").click();
    await call.patient.getByTestId("verify-confirm").click();
    await expect(call.patient.getByTestId("consult-key")).toContainText("epoch 0");

    // The doctor removes the first patient: they are out at once, and the same click starts a new
    // key epoch on the doctor's device (lib/client/room/room-session.ts, remove()).
    await call.doctor.getByTestId("remove-participant").click();
    await expect(call.patient.getByText("You are no longer in this consult")).toBeVisible();
    await expect.poll(() => heldEpochs(call.doctor)).toEqual([0, 1]);
    expect(await db.usedInvites(call.consultId)).toHaveLength(1);

    // A new patient, verified: they receive epoch 1, never epoch 0.
    await call.doctor.getByRole("button", { name: /^(New link|Create invite link)$/ }).click();
    await expect(call.doctor.getByTestId("invite-state")).toHaveAttribute("data-state", "live");
    const inviteUrl = await call.doctor.getByTestId("invite-link").inputValue();
    const patient2 = await next.newPage();
    await patientJoins(patient2, inviteUrl, "Second Patient");
    await call.doctor.getByTestId("admit").click();
    await expectConnected(patient2);
    // Another key in the patient's place of this consult: a changed key, whatever user the server
    // says it is (issue 20, item 3), acknowledged and then compared like any other.
    await expect(call.doctor.getByTestId("key-warning")).toBeVisible();
    await call.doctor.getByRole("button", { name: "I understand, compare the code" }).click();
    await call.doctor.getByTestId("verify-confirm").click();
    await patient2.getByTestId("verify-confirm").click();
    await expect(status(patient2)).toHaveAttribute("data-state", "verified");
    await expect(patient2.getByTestId("consult-key")).toContainText("epoch 1");
    // The keys the browsers hold: the new patient none from before their admission, the removed
    // one none from after their removal.
    expect(await heldEpochs(patient2)).toEqual([1]);
    expect(await heldEpochs(call.patient)).not.toContain(1);
    expect(await heldEpochs(call.doctor)).toEqual([0, 1]);
  } finally {
    await next.close();
    await call.close();
    await db.close();
  }
});

test("without WebCrypto (a plain-http page) the room says HTTPS is needed and sends nothing", async ({ browser, baseURL }) => {
  const signals: string[] = [];
  // From the first page on: a waiting patient's room would otherwise send its commitment already.
  // Without WebCrypto the join page cannot seal the name either: the doctor sees "Patient".
  const call = await admitPatient(browser, baseURL, "Patient", {
    preparePatient: async (context) => {
      // The browser's behaviour on an insecure origin is what is simulated here, not Parley's code.
      await context.addInitScript(() => {
        Object.defineProperty(globalThis.crypto, "subtle", { get: () => undefined });
      });
      await context.route("**/api/consults/*/signals", async (route) => {
        signals.push(route.request().postData() ?? "");
        await route.continue();
      });
    },
  });
  try {
    await expect(call.patient.getByTestId("e2ee-status")).toHaveAttribute("data-state", "unavailable");
    await expect(call.patient.getByTestId("e2ee-status")).toContainText("HTTPS");
    await expect(call.doctor.getByTestId("connection-state")).toHaveAttribute("data-state", "waiting");
    await call.patient.waitForTimeout(1_500); // give anything that would be sent the time to be sent
    expect(signals).toEqual([]);
  } finally {
    await call.close();
  }
});

test("codes that differ end the call on both sides and are audited", async ({ browser, baseURL }) => {
  const call = await setUp(browser, baseURL, "Mismatch Patient");
  try {
    await expectConnected(call.patient);
    await call.patient.getByRole("button", { name: "The codes differ" }).click();
    await expect(status(call.patient)).toHaveAttribute("data-state", "mismatch");
    await expect(call.patient.getByTestId("connection-state")).toHaveAttribute("data-state", "ended");
    await expect(call.doctor.getByTestId("connection-state")).toHaveAttribute("data-state", "ended", { timeout: 5_000 });
    await expect(status(call.doctor)).not.toHaveAttribute("data-state", "verified");
    // The clinic admin sees it in the audit log.
    const admin = await browser.newPage({ baseURL });
    await signIn(admin, DEMO.admin);
    await expect(admin.getByTestId("audit-log")).toContainText("e2ee.code_mismatch");
    await admin.close();
  } finally {
    await call.close();
  }
});

test("a lying server that swaps in its own ephemeral key never gets a verified call", async ({ browser, baseURL }) => {
  const call = await setUp(browser, baseURL, "Swapped Key Patient", (patient) =>
    rewriteSignals(patient, async (body) => {
      if (body.type !== "reveal" || typeof body.payload.hello !== "string") return body;
      // Replace the ephemeral key inside the signed hello (the server has no identity key to re-sign).
      const hello = fromBase64Url(body.payload.hello);
      const ours = (await generateEphemeral()).publicRaw;
      const at = hello.length - (4 + 32) - 65; // enc(…, e[65], dtls[32]): e's bytes
      hello.set(ours, at);
      return { ...body, payload: { ...body.payload, hello: toBase64Url(hello) } };
    }),
  );
  try {
    await expect(call.doctor.getByTestId("connection-state")).toHaveAttribute("data-state", "failed", { timeout: 30_000 });
    await expect(call.doctor.getByTestId("connection-state")).toContainText("handshake");
    await expect(status(call.doctor)).not.toHaveAttribute("data-state", "verified");
    await expect(status(call.patient)).not.toHaveAttribute("data-state", "verified");
    await expect(call.patient.getByTestId("consult-key")).not.toHaveAttribute("data-state", "held");
  } finally {
    await call.close();
  }
});

test("a lying server that substitutes a whole hello of its own gets different codes and a refused connection", async ({ browser, baseURL }) => {
  // From the join page on: the waiting room's commit is forged too. Installed only at the admission,
  // a commit sent unchanged from the waiting room made the forged reveal a changed commitment,
  // refused as such ("handshake") before any code was shown, whenever the room was quick to send it.
  const call = await admitPatient(browser, baseURL, "Forged Hello Patient", { beforeJoin: async (patient) => void (await substituteHellos(patient)) });
  try {
    // The doctor's device accepts the forged hello (its signature is valid) but the patient's real
    // certificate does not match it: the connection is refused before any media or key flows.
    await expect(call.doctor.getByTestId("connection-state")).toHaveAttribute("data-state", "failed", { timeout: 30_000 });
    const doctorCode = await call.doctor.getByTestId("call-code").textContent();
    const patientCode = await call.patient
      .getByTestId("call-code")
      .textContent()
      .catch(() => null);
    expect(doctorCode).toBeTruthy();
    expect(patientCode).not.toBe(doctorCode);
    await expect(status(call.doctor)).not.toHaveAttribute("data-state", "verified");
    await expect(status(call.patient)).not.toHaveAttribute("data-state", "verified");
    await expect(call.patient.getByTestId("consult-key")).not.toHaveAttribute("data-state", "held");
  } finally {
    await call.close();
  }
});

test("a lying server that swaps the DTLS fingerprint in the SDP gets the connection refused", async ({ browser, baseURL }) => {
  const fake = Array.from(randomBytes(32), (b) => b.toString(16).padStart(2, "0").toUpperCase()).join(":");
  const call = await setUp(browser, baseURL, "Swapped Certificate Patient", (patient) =>
    rewriteSignals(patient, (body) => {
      const data = body.payload.data as { sdp?: string } | undefined;
      if (body.type !== "rtc" || typeof data?.sdp !== "string") return Promise.resolve(body);
      const sdp = data.sdp.replace(/^a=fingerprint:sha-256 \S+/gim, `a=fingerprint:sha-256 ${fake}`);
      return Promise.resolve({ ...body, payload: { ...body.payload, data: { ...data, sdp } } });
    }),
  );
  try {
    await expect(call.doctor.getByTestId("connection-state")).toHaveAttribute("data-state", "failed", { timeout: 30_000 });
    await expect(call.doctor.getByTestId("connection-state")).toContainText("verified keys");
    await expect(status(call.doctor)).not.toHaveAttribute("data-state", "verified");
    await expect(status(call.patient)).not.toHaveAttribute("data-state", "verified");
    await expect(call.patient.getByTestId("consult-key")).not.toHaveAttribute("data-state", "held");
  } finally {
    await call.close();
  }
});

// Issue 20, item 4: every handshake that starts over on a new session of the other side is counted
// in the call; from the third the room says so (a server forcing restarts to try more codes).
test("the room counts the handshake's restarts in one call and warns from the third", async ({ browser, baseURL }) => {
  const call = await setUp(browser, baseURL, "Restarting Patient");
  try {
    await expectConnected(call.doctor);
    await expect(call.doctor.getByTestId("e2ee-restarts")).toHaveCount(0);
    for (let i = 1; i <= 3; i++) {
      await call.patient.reload();
      await expectConnected(call.patient);
      await expectConnected(call.doctor);
    }
    const notice = call.doctor.getByTestId("e2ee-restarts");
    await expect(notice).toBeVisible();
    await expect(notice).toHaveAttribute("data-count", "3");
    await expect(notice).toContainText("3 times");
  } finally {
    await call.close();
  }
});
