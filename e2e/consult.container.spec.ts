// The container image (Dockerfile), as a clinic runs it: a read-only root file system, its data in
// a volume, either alone (embedded database, documents in /data) or on PostgreSQL and S3 (Ceph
// RGW). Its health check and staff command line work, and the whole consult goes through it:
// sign-in, invite, admit, a call that connects, verified chat both ways and a document that
// arrives byte for byte. scripts/container.sh runs the image.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { admitPatient } from "./flows/consult";
import { downloadOf, fileItem, makeFiles, pdfBytes, sha256, verifyCall, type TestFile } from "./flows/files";

test("the image serves a whole consult: sign-in, invite, admit, call, verified chat, a document", async ({ browser, baseURL, request }, testInfo) => {
  test.setTimeout(120_000);
  const ready = await request.get("/api/ready");
  expect(ready.status()).toBe(200);
  expect(await ready.json()).toEqual({ ready: true, database: "ok", store: "ok" });
  // The image's HEALTHCHECK passes (podman runs it inside the container, as Docker would).
  const podman = (...args: string[]) => execFileSync("bash", ["scripts/container.sh", "podman", ...args], { encoding: "utf8" });
  const container = `parley-e2e-${testInfo.project.name}`;
  podman("healthcheck", "run", container);
  // The staff command line ships in the image (through the server's socket on the embedded database).
  expect(podman("exec", container, "node", "admin.mjs", "list")).toMatch(/^active\s+doctor\s+doctor@parley\.test/m);

  const tag = randomBytes(4).toString("hex");
  const [pdf] = (await makeFiles([{ name: `Lab results ${tag}.pdf`, bytes: pdfBytes(`Ferritin ${tag}`), type: "application/pdf" }])) as [TestFile];
  const call = await admitPatient(browser, baseURL, `Container Patient ${tag}`);
  try {
    await verifyCall(call);
    for (const [from, to, text] of [
      [call.doctor, call.patient, `How are you feeling today? ${tag}`],
      [call.patient, call.doctor, `Better since Tuesday ${tag}`],
    ] as const) {
      await from.getByTestId("chat-input").fill(text);
      await from.getByTestId("chat-send").click();
      await expect(to.getByTestId("chat-message").filter({ hasText: text })).toHaveCount(1);
      await expect(from.getByTestId("chat-message").filter({ hasText: text })).toHaveAttribute("data-state", "read");
    }
    await call.patient.getByTestId("file-input").setInputFiles(pdf.path);
    await expect(fileItem(call.patient, pdf.name)).toHaveAttribute("data-state", "ready", { timeout: 30_000 });
    expect(sha256(await downloadOf(call.doctor, pdf))).toBe(sha256(pdf.bytes));
  } finally {
    await call.close();
  }
});
