// Documents on the zero-set-up default: the filesystem store, served same-origin through signed,
// expiring URLs (app/api/blobs). A file sent by the patient arrives byte for byte at the doctor.
import { expect, test } from "@playwright/test";
import { admitPatient } from "./flows/consult";
import { downloadOf, fileItem, makeFiles, randomFile, sha256, verifyCall, type TestFile } from "./flows/files";

test("embedded default: a document goes from the patient to the doctor through the filesystem store", async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  // Six 8 MiB parts, the last one short: more parts than the sender's spool has part files
  // (PARALLEL_PARTS + 1), so later parts are written over earlier ones, the last over a full one.
  const [file] = (await makeFiles([randomFile("x-ray.bin", 45 * 1024 * 1024 + 3)])) as [TestFile];
  const call = await admitPatient(browser, baseURL, "Embedded Eve");
  try {
    await verifyCall(call);
    await call.patient.getByTestId("file-input").setInputFiles(file.path);
    await expect(fileItem(call.patient, file.name)).toHaveAttribute("data-state", "ready", { timeout: 60_000 });
    expect(sha256(await downloadOf(call.doctor, file))).toBe(sha256(file.bytes));
  } finally {
    await call.close();
  }
});
