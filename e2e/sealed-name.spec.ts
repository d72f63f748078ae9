// Issue 20, item 5: the patient's display name is sealed on the join page to the doctor's
// per-consult name key N (PROTOCOL §6), whose public half travels in the invite link's fragment.
// Only the doctor's device reads it; the server, the bucket and the server's log never hold it, and
// neither does anything the patient's browser sends. The stolen-server scan of issue 5, extended.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect, test, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { doctorAdmits, doctorOpensConsult, newPatientContext, patientJoins, signIn, DEMO } from "./flows/consult";
import { dumpContains, TestDb } from "./support/db";
import { TestStore } from "./support/store";

test.describe.configure({ mode: "serial" });

const dataRoot = process.env.PARLEY_TEST_RUN ?? ".test-stack";
const unique = (base: string) => `${base} ${Math.random().toString(36).slice(2, 8)}`;

type Party = { doctor: Page; patient: Page; consultId: string; inviteUrl: string; sent: string[]; contexts: BrowserContext[] };

/** A doctor opens a consult; a patient opens `link(inviteUrl)`, and everything their browser sends is kept. */
async function openConsult(browser: Browser, baseURL: string | undefined, link: (url: string) => string = (u) => u): Promise<Party> {
  const doctorContext = await browser.newContext({ baseURL, permissions: ["camera", "microphone"] });
  const patientContext = await newPatientContext(browser, baseURL);
  const doctor = await doctorContext.newPage();
  const { consultId, inviteUrl } = await doctorOpensConsult(doctor);
  const patient = await patientContext.newPage();
  const sent: string[] = [];
  patient.on("request", (r) => sent.push(`${r.method()} ${r.url()} ${r.postData() ?? ""}`));
  return { doctor, patient, consultId, inviteUrl: link(inviteUrl), sent, contexts: [doctorContext, patientContext] };
}

/** Every place a stolen server keeps: the database's rows, the bucket's objects, the server's log. */
async function expectNowhereOnTheServer(needles: string[]): Promise<void> {
  const db = await TestDb.connect();
  try {
    const dump = await db.dump();
    for (const n of needles) expect(dumpContains(dump, Buffer.from(n, "utf8")), `"${n}" in the database`).toBeUndefined();
  } finally {
    await db.close();
  }
  for (const o of await new TestStore().objects()) for (const n of needles) expect(o.bytes.includes(Buffer.from(n, "utf8")), `"${n}" in ${o.key}`).toBe(false);
  const log = await readFile(path.join(dataRoot, "app-pg", "server.log"), "utf8");
  expect(log.length, "the server's log is kept").toBeGreaterThan(0);
  for (const n of needles) expect(log.includes(n), `"${n}" in the server's log`).toBe(false);
}

test("the patient's name reaches only the doctor's device: not the database, the bucket, the log, or any request", async ({ browser, baseURL }) => {
  const name = unique("Zéphyrine Quillfeather");
  const p = await openConsult(browser, baseURL);
  try {
    // N's public half and the doctor's anchor ride in the fragment, which a browser never sends.
    expect(new URL(p.inviteUrl).hash).toMatch(/^#n=[A-Za-z0-9_-]{122}&f=[A-Za-z0-9_-]{22}$/);
    await p.patient.goto(p.inviteUrl);
    await expect(p.patient.getByTestId("name-privacy")).toHaveAttribute("data-state", "sealed");
    await patientJoins(p.patient, p.inviteUrl, name);

    // The doctor's device opens it: the waiting room, the admitted call, the dashboard.
    await expect(p.doctor.getByTestId("waiting-list")).toContainText(name);
    await doctorAdmits(p.doctor, p.patient, name);
    await expect(p.doctor.getByRole("heading", { level: 1 })).toHaveText(`Consult with ${name}`);
    await p.doctor.goto("/dashboard");
    await expect(p.doctor.getByTestId("consults-upcoming")).toContainText(name);

    for (const r of p.sent) {
      expect(r.includes(name), r.slice(0, 200)).toBe(false);
      expect(r.includes(encodeURIComponent(name)), r.slice(0, 200)).toBe(false);
      expect(r.includes("Quillfeather"), r.slice(0, 200)).toBe(false);
    }
    const db = await TestDb.connect();
    try {
      const [row] = (await db.dump()).filter((r) => r.table === "Participant" && r.row.consultId === p.consultId && r.row.role === "patient");
      expect(row?.row).toMatchObject({ displayName: "Patient", sealedName: expect.stringMatching(/^[A-Za-z0-9_-]{516}$/) });
    } finally {
      await db.close();
    }
    await expectNowhereOnTheServer([name, "Quillfeather", "Zéphyrine"]);
  } finally {
    for (const c of p.contexts) await c.close();
  }
});

test("a link that lost its fragment: the patient is told, the name stays on their device, the doctor sees 'Patient'", async ({ browser, baseURL }) => {
  const name = unique("Barnabas Fragmentless");
  const p = await openConsult(browser, baseURL, (u) => u.replace(/#.*$/, ""));
  try {
    await p.patient.goto(p.inviteUrl);
    await expect(p.patient.getByTestId("name-privacy")).toHaveAttribute("data-state", "unsealed");
    await expect(p.patient.getByTestId("name-privacy")).toContainText("tell your doctor your name");
    await patientJoins(p.patient, p.inviteUrl, name);
    await expect(p.doctor.getByTestId("waiting-list")).toContainText("Patient");
    await doctorAdmits(p.doctor, p.patient, "Patient");
    for (const r of p.sent) expect(r.includes("Fragmentless"), r.slice(0, 200)).toBe(false);
    await expectNowhereOnTheServer([name, "Fragmentless"]);
  } finally {
    for (const c of p.contexts) await c.close();
  }
});

test("another device of the same doctor holds no name key: it says the name is not on this device", async ({ browser, baseURL }) => {
  const name = unique("Cordelia Elsewhere");
  const p = await openConsult(browser, baseURL);
  const laptop = await browser.newContext({ baseURL, permissions: ["camera", "microphone"] });
  try {
    await patientJoins(p.patient, p.inviteUrl, name);
    await expect(p.doctor.getByTestId("waiting-list")).toContainText(name);
    const other = await laptop.newPage();
    await signIn(other, DEMO.doctor);
    await expect(other).toHaveURL(/\/dashboard$/);
    await other.goto(`/consults/${p.consultId}`);
    await expect(other.getByTestId("waiting-list")).toContainText("Patient (name not on this device)");
    await expect(other.getByTestId("waiting-list")).not.toContainText(name);
  } finally {
    await laptop.close();
    for (const c of p.contexts) await c.close();
  }
});

test("a link whose doctor anchor is not this doctor's key: the patient's room warns from the first call", async ({ browser, baseURL }) => {
  // What a link altered on its way (or a server in the middle of the first call) looks like to the
  // patient: the doctor's key is not the one the link named.
  const p = await openConsult(browser, baseURL, (u) => u.replace(/&f=[A-Za-z0-9_-]+$/, `&f=${"A".repeat(22)}`));
  try {
    await patientJoins(p.patient, p.inviteUrl, "Anchored Patient");
    await doctorAdmits(p.doctor, p.patient, "Anchored Patient");
    await expect(p.patient.getByTestId("key-warning")).toBeVisible();
    await expect(p.patient.getByTestId("e2ee-status")).toHaveAttribute("data-state", "key-changed");
    await expect(p.patient.getByTestId("verify-confirm")).toBeDisabled();
    // The doctor's side meets a new patient as usual.
    await expect(p.doctor.getByTestId("key-warning")).toHaveCount(0);
  } finally {
    for (const c of p.contexts) await c.close();
  }
});
