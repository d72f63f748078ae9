// The video call in two real browsers (fake camera and microphone), inside the test stack's
// private network namespace: it comes up by itself on admission, media flows both ways over
// DTLS/SRTP between the two certificates the peers announced, and leaving is seen at once.
import { expect, test, type Browser, type Page } from "@playwright/test";
import { admitPatient, doctorOpensConsult, expectConnected, newPatientContext, patientJoins } from "./flows/consult";
import { callEvidence, recordPeerConnections } from "./support/webrtc";

test.describe.configure({ mode: "serial" });

/** Both in the call, every peer connection recorded for getStats(). */
async function startCall(browser: Browser, baseURL: string | undefined, name: string) {
  const call = await admitPatient(browser, baseURL, name, { prepare: recordPeerConnections });
  await expectConnected(call.doctor);
  await expectConnected(call.patient);
  return call;
}

async function expectFramesRising(page: Page): Promise<void> {
  const first = (await callEvidence(page)).videoFramesDecoded;
  await expect.poll(async () => (await callEvidence(page)).videoFramesDecoded, { timeout: 10_000 }).toBeGreaterThan(first);
}

test("admitting the patient starts the call: media flows both ways over DTLS-SRTP between the announced certificates", async ({ browser, baseURL }) => {
  const call = await startCall(browser, baseURL, "Media Patient");
  try {
    for (const page of [call.doctor, call.patient]) {
      await expect(page.getByTestId("remote-video")).toHaveJSProperty("muted", true);
      await expectFramesRising(page);
      await expect.poll(async () => (await callEvidence(page)).audioPacketsReceived, { timeout: 10_000 }).toBeGreaterThan(0);
    }
    const doctor = await callEvidence(call.doctor);
    const patient = await callEvidence(call.patient);
    for (const side of [doctor, patient]) {
      expect(side.connectionState).toBe("connected");
      expect(side.dtlsState).toBe("connected");
      expect(side.srtpCipher, "an SRTP cipher protects the media").toBeTruthy();
      expect(side.localSdpFingerprints.length).toBeGreaterThan(0);
      // a direct path on the namespace's 127.1.0.1, never an address outside the machine (the
      // remote side may be peer-reflexive: its checks can arrive before its trickled candidate)
      expect(side.selectedCandidateTypes[0]).toBe("host");
      expect(["host", "prflx"]).toContain(side.selectedCandidateTypes[1]);
      expect(side.selectedAddresses).toEqual(["127.1.0.1", "127.1.0.1"]);
    }
    // Each side's DTLS peer is exactly the certificate the other side put in its SDP.
    expect(doctor.remoteCertificate).toBeDefined();
    expect(patient.localSdpFingerprints).toContain(doctor.remoteCertificate);
    expect(doctor.localSdpFingerprints).toContain(patient.remoteCertificate);
  } finally {
    await call.close();
  }
});

test("mute and camera off are shown to the other side", async ({ browser, baseURL }) => {
  const call = await startCall(browser, baseURL, "Toggle Patient");
  try {
    await call.patient.getByTestId("toggle-mic").click();
    await expect(call.doctor.getByText("Toggle Patient muted")).toBeVisible();
    await call.patient.getByTestId("toggle-camera").click();
    await expect(call.doctor.getByText("Toggle Patient turned the camera off")).toBeVisible();
    // The black frames of a camera turned off are not drawn, on either side.
    await expect(call.doctor.getByTestId("remote-video")).toBeHidden();
    await expect(call.patient.getByTestId("local-video")).toBeHidden();
    await call.patient.getByTestId("toggle-mic").click();
    await call.patient.getByTestId("toggle-camera").click();
    await expect(call.doctor.getByText("Toggle Patient muted")).toBeHidden();
    await expect(call.doctor.getByTestId("remote-video")).toBeVisible();
    await expect(call.patient.getByTestId("local-video")).toBeVisible();
    await expectConnected(call.doctor);
  } finally {
    await call.close();
  }
});

test("hanging up ends the call on the other side within a few seconds, either way", async ({ browser, baseURL }) => {
  const call = await startCall(browser, baseURL, "Hang-up Patient");
  try {
    await call.patient.getByTestId("hang-up").click();
    await expect(call.patient.getByTestId("connection-state")).toHaveAttribute("data-state", "ended");
    await expect(call.doctor.getByTestId("connection-state")).toHaveAttribute("data-state", "ended", { timeout: 5_000 });

    // The patient comes back and is admitted again; then the doctor leaves the call.
    await call.patient.getByRole("button", { name: "Back to the waiting room" }).click();
    await call.doctor.getByTestId("admit").click();
    await expectConnected(call.doctor);
    await expectConnected(call.patient);
    await call.doctor.getByTestId("hang-up").click();
    await expect(call.patient.getByTestId("connection-state")).toHaveAttribute("data-state", "ended", { timeout: 5_000 });
  } finally {
    await call.close();
  }
});

test("closing the tab says bye: the other side sees the call end at once; a reload reconnects", async ({ browser, baseURL }) => {
  const call = await startCall(browser, baseURL, "Reload Patient");
  try {
    await call.patient.reload();
    await expectConnected(call.patient);
    await expectConnected(call.doctor);
    await expectFramesRising(call.doctor);

    await call.patient.close();
    await expect(call.doctor.getByTestId("connection-state")).toHaveAttribute("data-state", "ended", { timeout: 5_000 });
  } finally {
    await call.close();
  }
});

test("a patient of another consult can neither see nor signal this one", async ({ browser, baseURL }) => {
  const call = await startCall(browser, baseURL, "Inside Patient");
  const other = await startCall(browser, baseURL, "Outside Patient");
  try {
    const answers = await other.patient.evaluate(async (consultId) => {
      const signal = await fetch(`/api/consults/${consultId}/signals`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ type: "hello", payload: { sid: "AAAAAAAAAAAAAAAAAAAAAA", reply: false } }),
      });
      const events = await fetch(`/api/consults/${consultId}/events`);
      const room = await fetch(`/api/consults/${consultId}`);
      return [signal.status, events.status, room.status];
    }, call.consultId);
    expect(answers).toEqual([404, 404, 404]);
    await other.patient.goto(`/consults/${call.consultId}`);
    await expect(other.patient.getByRole("heading", { name: "Not found" })).toBeVisible();
    // The call inside is untouched.
    await expectConnected(call.doctor);
    await expectFramesRising(call.patient);
  } finally {
    await other.close();
    await call.close();
  }
});

test("a call that cannot connect says so within the connect timeout, and Retry connects it", async ({ browser, baseURL }) => {
  test.setTimeout(90_000);
  const doctorContext = await browser.newContext({ baseURL, permissions: ["camera", "microphone"] });
  const patientContext = await newPatientContext(browser, baseURL);
  const doctor = await doctorContext.newPage();
  const patient = await patientContext.newPage();
  try {
    const { inviteUrl } = await doctorOpensConsult(doctor);
    await patientJoins(patient, inviteUrl, "Blocked Patient");
    // The patient's network drops its SDP and ICE messages (hello still gets through).
    let blocked = true;
    await patient.route("**/api/consults/*/signals", async (route) => {
      if (blocked && /"type":"rtc"/.test(route.request().postData() ?? "")) await route.abort();
      else await route.continue();
    });
    await doctor.getByTestId("admit").click();
    await expect(doctor.getByTestId("connection-state")).toHaveAttribute("data-state", "connecting");
    await expect(doctor.getByTestId("connection-state")).toHaveAttribute("data-state", "failed", { timeout: 30_000 });
    await expect(doctor.getByTestId("connection-state")).toContainText("could not connect");
    blocked = false;
    await doctor.getByTestId("retry-call").click();
    await expectConnected(doctor);
    await expectConnected(patient);
  } finally {
    await doctorContext.close();
    await patientContext.close();
  }
});
