// Calls that survive what people do mid-call (issue: calls that survive real networks and real
// devices), in real Chromium with fake devices, on PostgreSQL: switching camera and microphone
// keeps the call up and the picture coming; a reloaded tab rejoins with its chat history; the
// patient's whole flow on a phone-sized screen.
import { expect, test, type Page } from "@playwright/test";
import { admitPatient, doctorOpensConsult, expectConnected, type TwoParty } from "./flows/consult";
import { verifyCall } from "./flows/files";
import { CHROMIUM_ARGS, chromiumExecutable } from "./support/chromium";
import { TestDb } from "./support/db";
import { callEvidence, recordPeerConnections } from "./support/webrtc";

// Three fake cameras, so there is something to switch to. (Chromium's fake_device_1 is a Y16 depth
// camera that no video encoder takes: switching to it stalls the picture in any page, so the test
// switches to fake_device_2.)
test.use({
  launchOptions: {
    executablePath: chromiumExecutable(),
    args: [...CHROMIUM_ARGS.filter((a) => a !== "--use-fake-device-for-media-stream"), "--use-fake-device-for-media-stream=device-count=3"],
  },
});

let db: TestDb;
test.beforeAll(async () => {
  db = await TestDb.connect();
});
test.afterAll(async () => {
  await db?.close();
});

const framesFrom = async (page: Page) => (await callEvidence(page)).videoFramesDecoded;

test("switching camera and microphone mid-call keeps the call up and the other side's picture moving", async ({ browser, baseURL }) => {
  const doctor = await db.createStaff("doctor", "Dr. Devi Devices");
  const call: TwoParty = await admitPatient(browser, baseURL, "Sam Switch", { doctor, prepare: recordPeerConnections });
  try {
    await expectConnected(call.doctor);
    await expectConnected(call.patient);
    await call.patient.getByTestId("devices-panel").locator("summary").click();
    const camera = call.patient.getByTestId("camera-select");
    await expect(camera.locator("option")).toHaveCount(3);
    const other = await camera.locator("option", { hasText: "fake_device_2" }).getAttribute("value");
    if (!other || other === (await camera.inputValue())) throw new Error("no other camera to switch to");
    await camera.selectOption(other);
    await expect(camera).toHaveValue(other);
    const mic = call.patient.getByTestId("mic-select");
    const micBefore = await mic.inputValue();
    const micOther = (await mic.locator("option").evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).find((v) => v !== micBefore);
    if (micOther) {
      await mic.selectOption(micOther);
      await expect(mic).toHaveValue(micOther);
    }

    // The local track really is the other camera, the call never left "connected", and the
    // doctor keeps decoding new frames from it.
    const sending = () =>
      call.patient.evaluate(() => {
        const pc = window.__testPeerConnections?.at(-1);
        return pc?.getSenders().find((x) => x.track?.kind === "video")?.track?.label;
      });
    await expect.poll(sending).toBe("fake_device_2");
    await expect(call.patient.getByTestId("connection-state")).toHaveAttribute("data-state", "connected");
    const frames = await framesFrom(call.doctor);
    await expect.poll(() => framesFrom(call.doctor), { timeout: 10_000 }).toBeGreaterThan(frames + 20);
    await expect(call.doctor.getByTestId("connection-state")).toHaveAttribute("data-state", "connected");
    // The choice is remembered for the next call on this device.
    expect(await call.patient.evaluate(() => JSON.parse(localStorage.getItem("parley.devices") ?? "{}") as { cameraId?: string })).toMatchObject({ cameraId: other });
  } finally {
    await call.close();
  }
});

test("the doctor shares the screen in place of the camera, and goes back to the camera after", async ({ browser, baseURL }) => {
  const doctor = await db.createStaff("doctor", "Dr. Sara Screen");
  const call = await admitPatient(browser, baseURL, "Sid Screen", { doctor, prepare: recordPeerConnections });
  try {
    await expectConnected(call.doctor);
    await expectConnected(call.patient);
    const sent = () =>
      call.doctor.evaluate(
        () =>
          window.__testPeerConnections
            ?.at(-1)
            ?.getSenders()
            .find((x) => x.track?.kind === "video")?.track?.label ?? "",
      );
    const camera = await sent();
    await call.doctor.getByTestId("devices-panel").locator("summary").click();
    await call.doctor.getByTestId("share-screen").click();
    await expect.poll(sent).toMatch(/^screen:/);
    await expect(call.doctor.getByTestId("share-screen")).toHaveAttribute("aria-pressed", "true");
    const frames = await framesFrom(call.patient);
    await expect.poll(() => framesFrom(call.patient), { timeout: 10_000 }).toBeGreaterThan(frames + 10);
    await call.doctor.getByTestId("share-screen").click();
    await expect.poll(sent).toBe(camera);
    await expect(call.patient.getByTestId("connection-state")).toHaveAttribute("data-state", "connected");
    // Patients do not get the button.
    await call.patient.getByTestId("devices-panel").locator("summary").click();
    await expect(call.patient.getByTestId("share-screen")).toHaveCount(0);
  } finally {
    await call.close();
  }
});

test("a reloaded tab rejoins the call by itself, verified again, with the chat still readable", async ({ browser, baseURL }) => {
  const doctor = await db.createStaff("doctor", "Dr. Rhea Reload");
  const call = await admitPatient(browser, baseURL, "Rita Reload", { doctor, prepare: recordPeerConnections });
  try {
    await verifyCall(call);
    const text = `before the reload ${Date.now()}`;
    await call.doctor.getByTestId("chat-input").fill(text);
    await call.doctor.getByTestId("chat-send").click();
    await expect(call.patient.getByTestId("chat-message").filter({ hasText: text })).toHaveCount(1);

    await call.patient.reload();
    await expectConnected(call.patient);
    await expectConnected(call.doctor);
    // The pair was compared before: verified again without a new comparison, after the new DTLS check.
    for (const page of [call.doctor, call.patient]) await expect(page.getByTestId("e2ee-status")).toHaveAttribute("data-state", "verified");
    await expect(call.patient.getByTestId("chat-message").filter({ hasText: text })).toHaveCount(1);
    await expect.poll(() => framesFrom(call.patient), { timeout: 10_000 }).toBeGreaterThan(10);
  } finally {
    await call.close();
  }
});

test("the patient's flow on a phone-sized screen: nothing wider than the screen, large touch targets, camera flip", async ({ browser, baseURL }) => {
  const doctor = await db.createStaff("doctor", "Dr. Pia Phone");
  const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
  /** No horizontal scrolling, and each control at least 44 × 44 CSS pixels (WCAG 2.5.5). */
  const fitsPhone = async (page: Page, ids: string[]) => {
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), "horizontal overflow").toBeLessThanOrEqual(0);
    for (const id of ids) {
      const box = await page.getByTestId(id).boundingBox();
      expect(box, id).not.toBeNull();
      expect(box?.height ?? 0, `${id} height`).toBeGreaterThanOrEqual(44);
      expect(box?.width ?? 0, `${id} width`).toBeGreaterThanOrEqual(44);
    }
  };
  const call = await admitPatient(browser, baseURL, "Phoebe Phone", {
    doctor,
    patientContext: phone,
    // The join page and the waiting room, on the phone, before the doctor lets the patient in.
    beforeAdmit: (patient) => fitsPhone(patient, ["waiting-room"]),
  });
  try {
    await expectConnected(call.patient);
    await fitsPhone(call.patient, ["hang-up", "toggle-mic", "toggle-camera", "verify-confirm", "chat-send"]);
    await verifyCall(call);
    await fitsPhone(call.patient, ["hang-up", "chat-send"]);
    // Two cameras or more (front and back on a phone): a flip button, as large as the rest.
    await call.patient.getByTestId("devices-panel").locator("summary").click();
    await fitsPhone(call.patient, ["flip-camera"]);
  } finally {
    await call.close();
  }
});

test("the join page on a phone-sized screen", async ({ browser, baseURL }) => {
  const doctorContext = await browser.newContext({ baseURL });
  const doctor = await doctorContext.newPage();
  const { inviteUrl } = await doctorOpensConsult(doctor, await db.createStaff("doctor", "Dr. Jo Join"));
  const phone = await browser.newContext({ baseURL, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, permissions: ["camera", "microphone"] });
  const patient = await phone.newPage();
  try {
    await patient.goto(inviteUrl);
    await expect(patient.getByTestId("device-check")).toHaveAttribute("data-state", "ready");
    expect(await patient.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    for (const id of ["guest-name", "join"]) expect((await patient.getByTestId(id).boundingBox())?.height ?? 0, id).toBeGreaterThanOrEqual(44);
  } finally {
    await phone.close();
    await doctorContext.close();
  }
});
