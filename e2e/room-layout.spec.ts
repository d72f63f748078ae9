// The room laid out for the people in it, in real Chromium: on a doctor's wide screen the video and
// its controls stay in view beside the chat and documents (scrolling the page never takes the
// patient out of sight), and the verification shrinks to one line once verified; on a phone one
// column with the video first, and the join page's heading above the camera preview. Screenshots
// are kept as test artifacts (test-results/room-layout-*/{room-desktop,room-phone,join-phone}.png).
import { expect, test, type Locator, type Page, type TestInfo } from "@playwright/test";
import { admitPatient, doctorOpensConsult, expectConnected } from "./flows/consult";

const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };

async function box(locator: Locator) {
  const b = await locator.boundingBox();
  if (!b) throw new Error("not laid out");
  return b;
}

/** Whether the element is entirely within the page's viewport as it is scrolled now. */
async function inView(page: Page, locator: Locator): Promise<boolean> {
  const b = await box(locator);
  const size = page.viewportSize() ?? DESKTOP;
  return b.y >= 0 && b.y + b.height <= size.height && b.x >= 0 && b.x + b.width <= size.width;
}

async function keepScreenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path });
  await testInfo.attach(name, { path, contentType: "image/png" });
}

test("a doctor's wide screen keeps the patient in view while typing; a phone shows the video first", async ({ browser, baseURL }, testInfo) => {
  const call = await admitPatient(browser, baseURL, "Layout Patient", { patientContext: { viewport: PHONE, isMobile: true, hasTouch: true } });
  try {
    const { doctor, patient } = call;
    await doctor.setViewportSize(DESKTOP);
    await expectConnected(doctor);
    await expectConnected(patient);
    for (const page of [doctor, patient]) await page.getByTestId("verify-confirm").click();
    for (const page of [doctor, patient]) await expect(page.getByTestId("e2ee-status")).toHaveAttribute("data-state", "verified");
    // Enough chat that the page is taller than the screen.
    for (let i = 0; i < 12; i++) {
      await doctor.getByTestId("chat-input").fill(`Layout line ${i}: how are you feeling today?`);
      await doctor.getByTestId("chat-send").click();
      await expect(doctor.getByTestId("chat-input")).toHaveValue("");
    }
    await expect(patient.getByTestId("chat-message")).toHaveCount(12);

    // Desktop: the video and the chat box side by side, both on screen, and the video still on
    // screen with the page scrolled to its end (the documents panel).
    const video = doctor.getByTestId("remote-video");
    const chatInput = doctor.getByTestId("chat-input");
    await doctor.evaluate(() => window.scrollTo(0, 0));
    await chatInput.scrollIntoViewIfNeeded();
    expect(await inView(doctor, video)).toBe(true);
    expect(await inView(doctor, chatInput)).toBe(true);
    expect((await box(doctor.getByTestId("chat-column"))).x).toBeGreaterThan((await box(video)).x + (await box(video)).width - 1);
    await doctor.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    expect(await inView(doctor, video)).toBe(true);
    expect(await inView(doctor, doctor.getByTestId("hang-up"))).toBe(true);
    // Verified: one line (the status, the code and the key side by side).
    const line = await Promise.all(["e2ee-status", "call-code", "consult-key"].map((id) => box(doctor.getByTestId(id))));
    for (const b of line) expect(Math.abs(b.y + b.height / 2 - (line[0]!.y + line[0]!.height / 2))).toBeLessThan(6);
    await doctor.evaluate(() => window.scrollTo(0, 0));
    await keepScreenshot(doctor, testInfo, "room-desktop");

    // Phone: one column, the video above the verification and the chat.
    const pv = await box(patient.getByTestId("remote-video"));
    const pStatus = await box(patient.getByTestId("e2ee-status"));
    const pChat = await box(patient.getByTestId("chat-input"));
    expect(pv.y).toBeLessThan(pStatus.y);
    expect(pStatus.y).toBeLessThan(pChat.y);
    expect(Math.abs(pv.x - pChat.x)).toBeLessThan(40);
    expect(pv.width).toBeGreaterThan(PHONE.width * 0.8);
    await patient.evaluate(() => window.scrollTo(0, 0));
    await keepScreenshot(patient, testInfo, "room-phone");
  } finally {
    await call.close();
  }
});

test("the join page on a phone puts its heading above the camera preview", async ({ browser, baseURL }, testInfo) => {
  const doctorContext = await browser.newContext({ baseURL });
  const patientContext = await browser.newContext({ baseURL, viewport: PHONE, isMobile: true, hasTouch: true, permissions: ["camera", "microphone"] });
  try {
    const { inviteUrl } = await doctorOpensConsult(await doctorContext.newPage());
    const join = await patientContext.newPage();
    await join.goto(inviteUrl);
    await expect(join.getByTestId("device-check")).toHaveAttribute("data-state", "ready");
    const heading = await box(join.getByRole("heading", { level: 1 }));
    const preview = await box(join.getByTestId("preview-video"));
    expect(heading.y + heading.height).toBeLessThanOrEqual(preview.y);
    await keepScreenshot(join, testInfo, "join-phone");
  } finally {
    await doctorContext.close();
    await patientContext.close();
  }
});
