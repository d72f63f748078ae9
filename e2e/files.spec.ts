// Encrypted documents (PROTOCOL §5) in two real browsers on PostgreSQL and the S3 store (Ceph RGW
// when scripts/test.sh started it): the patient sends a 20 MB file of random bytes and a small PDF;
// the doctor downloads both and gets exactly the same bytes; then the server's side — no object in
// the store and no database row holds a file name or any 32-byte run of either plaintext, and each
// stored size is that of the document padded (Padmé, at least 4 KiB), not its own; another
// consult's patient gets 404 for the document's URLs; a byte altered in the store makes the
// download fail its integrity check instead of being saved; an upload can be cancelled mid-way.
import { randomBytes } from "node:crypto";
import { expect, test, type Route } from "@playwright/test";
import { DEFAULT_CHUNK_SIZE, encryptedSize, paddedFileSize } from "../lib/crypto";
import { READ_STALL_MS, reopenWarning } from "../lib/client/files/read-pieces";
import { SEAL_STALL_MS } from "../lib/client/files/upload";
import { admitPatient, type TwoParty } from "./flows/consult";
import { countWorkers, downloadOf, fileItem, makeFiles, pdfBytes, randomFile, sha256, spoolEntries, stallBlobStreams, stalled, verifyCall, watchUploadProgress, type TestFile } from "./flows/files";
import { admittedConsult, send, signInStaff, dispose } from "./support/api";
import { dumpContains, TestDb, type StaffAccount } from "./support/db";
import { plaintextRuns, TestStore } from "./support/store";

test.describe.configure({ mode: "serial" });

const MiB = 1024 * 1024;
let db: TestDb;
const store = new TestStore();
let call: TwoParty;
let doctorAccount: StaffAccount;
let big: TestFile;
let pdf: TestFile;
let stored: { id: string; storageKey: string; sizeBytes: number }[] = [];
let tag: string;

/** What the store holds of a document (PROTOCOL §5): the ciphertext of its padded size, in 256 KiB chunks. */
const storedSize = (f: TestFile) => encryptedSize(paddedFileSize(f.bytes.length), DEFAULT_CHUNK_SIZE);
/** What it held before documents were padded, and must not any more: the ciphertext of the document's own size. */
const unpaddedSize = (f: TestFile) => encryptedSize(f.bytes.length, DEFAULT_CHUNK_SIZE);

test.beforeAll(async () => {
  db = await TestDb.connect();
  tag = randomBytes(4).toString("hex");
  [big, pdf] = (await makeFiles([randomFile(`scan-${tag}.bin`, 20 * MiB + 12_345), { name: `Lab results März ${tag}.pdf`, bytes: pdfBytes(`Haemoglobin ${tag}`), type: "application/pdf" }])) as [
    TestFile,
    TestFile,
  ];
});
test.afterAll(async () => {
  await call?.close();
  await db?.close();
});

test("the patient sends a 20 MB file and a PDF; the doctor downloads both, byte for byte", async ({ browser, baseURL }) => {
  test.setTimeout(150_000);
  doctorAccount = await db.createStaff("doctor", "Dr. Dora Documents");
  call = await admitPatient(browser, baseURL, "Paula Papers", { doctor: doctorAccount });
  await expect(call.patient.getByTestId("file-input")).toBeDisabled(); // not before the call is verified
  await verifyCall(call);
  const sawProgress = await watchUploadProgress(call.patient);
  const workers = countWorkers(call.patient);
  await call.patient.getByTestId("file-input").setInputFiles([big.path, pdf.path]);

  for (const f of [big, pdf]) await expect(fileItem(call.patient, f.name)).toHaveAttribute("data-state", "ready", { timeout: 90_000 });
  expect(await sawProgress()).toBe(true);
  // Each file was sealed by its own worker into the origin-private spool, which is empty again.
  expect(workers()).toBe(2);
  expect(await spoolEntries(call.patient)).toEqual([]);
  await expect(call.patient.getByTestId("file-item")).toHaveCount(2);
  await expect(call.doctor.getByTestId("file-item")).toHaveCount(2);
  for (const f of [big, pdf]) expect(sha256(await downloadOf(call.doctor, f)), f.name).toBe(sha256(f.bytes));

  // The PDF can be looked at in the room, decrypted on the device.
  await fileItem(call.doctor, pdf.name).getByRole("button", { name: "Preview" }).click();
  await expect(call.doctor.getByTestId("file-preview").locator("iframe")).toHaveAttribute("src", /^blob:/);
  await call.doctor.getByTestId("file-preview").getByRole("button", { name: "Close" }).click();

  stored = await db.filesOf(call.consultId);
  // Padmé by hand: 2^24 ≤ 20 MiB + 12 345 < 2^25, so E = 24, S = 5, and the size is rounded up to a
  // multiple of 2^19 (41 × 512 KiB, 82 chunks); the PDF, under 4 KiB, takes 4 KiB, one chunk.
  expect(paddedFileSize(big.bytes.length)).toBe(41 * 512 * 1024);
  expect(pdf.bytes.length).toBeLessThan(4096);
  expect([storedSize(pdf), storedSize(big)]).toEqual([4096 + 16, 41 * 512 * 1024 + 82 * 16]);
  expect(stored.map((f) => f.sizeBytes).sort((a, b) => a - b)).toEqual([storedSize(pdf), storedSize(big)]);
});

test("stolen store and database: no file name, no 32-byte run of either plaintext and no document's own size anywhere", async () => {
  test.setTimeout(120_000);
  const objects = await store.objects();
  for (const f of stored) expect((await store.read(f.storageKey)).length, `object of ${f.id} (${store.kind})`).toBe(f.sizeBytes);
  // So each object, like its File row, has the size of its document padded, never the document's own.
  const rowSizes = (await db.filesOf(call.consultId)).map((f) => f.sizeBytes).sort((a, b) => a - b);
  expect(rowSizes).toEqual([storedSize(pdf), storedSize(big)]);
  for (const f of [big, pdf]) expect(rowSizes, f.name).not.toContain(unpaddedSize(f));
  const runsOf = [big, pdf].map((f) => ({ name: f.name, find: plaintextRuns(f.bytes) }));
  for (const o of objects) {
    for (const f of [big, pdf]) expect(o.bytes.includes(Buffer.from(f.name)), `${f.name} in ${o.key}`).toBe(false);
    for (const r of runsOf) expect(r.find(o.bytes), `plaintext of ${r.name} in ${o.key}`).toBeUndefined();
  }
  const dump = await db.dump();
  expect(dump.some((r) => r.table === "File" && r.row.consultId === call.consultId)).toBe(true);
  for (const f of [big, pdf]) expect(dumpContains(dump, Buffer.from(f.name)), f.name).toBeUndefined();
  const everything = Buffer.concat(dump.flatMap(({ row }) => Object.values(row).map((v) => (Buffer.isBuffer(v) ? v : Buffer.from(typeof v === "string" ? v : (JSON.stringify(v) ?? ""))))));
  for (const r of runsOf) expect(r.find(everything), `plaintext of ${r.name} in the database`).toBeUndefined();
});

test("another consult's patient gets 404 for the document's URLs", async ({ playwright, baseURL }) => {
  const doctor = await signInStaff(playwright, baseURL ?? "", doctorAccount.email, doctorAccount.password);
  const other = await admittedConsult(playwright, doctor, "Olly Outsider");
  try {
    for (const f of stored) {
      for (const [method, path, data] of [
        ["GET", `/api/consults/${call.consultId}/files/${f.id}`, undefined],
        ["DELETE", `/api/consults/${call.consultId}/files/${f.id}`, undefined],
        ["POST", `/api/consults/${call.consultId}/files/${f.id}/parts`, { parts: [1] }],
        ["GET", `/api/consults/${other.consultId}/files/${f.id}`, undefined],
        ["DELETE", `/api/consults/${other.consultId}/files/${f.id}`, undefined],
      ] as const) {
        const answer = await send(other.patient, { method, path, data });
        expect([403, 404], `${method} ${path}: ${answer.text}`).toContain(answer.status);
      }
    }
    expect((await db.filesOf(call.consultId)).length).toBe(2);
  } finally {
    await dispose(doctor, other.patient);
  }
});

test("a document altered in the store fails its integrity check and is not saved as if whole", async () => {
  const f = stored.find((s) => s.sizeBytes > MiB);
  if (!f) throw new Error("no large document stored");
  const original = await store.read(f.storageKey);
  const altered = Buffer.from(original);
  altered[3 * MiB + 17] = (altered[3 * MiB + 17] ?? 0) ^ 0x01;
  await store.write(f.storageKey, altered);
  try {
    const item = fileItem(call.doctor, big.name);
    const download = call.doctor.waitForEvent("download", { timeout: 15_000 }).catch(() => undefined);
    await item.getByTestId("file-download").click();
    await expect(item.getByRole("alert")).toContainText("integrity check");
    // Streamed to disk, the browser's download fails (and its partial file is discarded).
    const d = await download;
    expect(d, "the download started").toBeDefined();
    expect(await d?.failure()).not.toBeNull();
  } finally {
    await store.write(f.storageKey, original);
  }
  expect(sha256(await downloadOf(call.doctor, big))).toBe(sha256(big.bytes));
});

test("an upload in flight shows its progress and can be cancelled; nothing of it stays on the server", async () => {
  const [file] = (await makeFiles([randomFile(`cancelled-${tag}.bin`, 12 * MiB)])) as [TestFile];
  // Part uploads are held (never answered) so the upload is surely under way when Cancel is pressed.
  const held: Route[] = [];
  const hold = (route: Route) => (route.request().method() === "PUT" ? void held.push(route) : route.fallback());
  const everything = () => true;
  await call.patient.route(everything, hold);
  try {
    await call.patient.getByTestId("file-input").setInputFiles(file.path);
    const item = fileItem(call.patient, file.name);
    await expect(item).toHaveAttribute("data-state", "uploading");
    await expect(item.getByTestId("upload-progress")).toBeVisible();
    await expect.poll(() => held.length).toBeGreaterThan(0);
    await expect.poll(async () => (await db.filesOf(call.consultId)).length).toBe(3);
    await item.getByRole("button", { name: "Cancel" }).click();
    await expect(item).toHaveCount(0);
    // The client withdrew the upload: its row (and its parts in the store) are gone.
    await expect.poll(async () => (await db.filesOf(call.consultId)).map((f) => f.id).sort()).toEqual(stored.map((f) => f.id).sort());
    await expect(fileItem(call.doctor, file.name)).toHaveCount(0);
    await expect.poll(() => spoolEntries(call.patient)).toEqual([]);
  } finally {
    await call.patient.unroute(everything, hold);
    for (const r of held) await r.abort().catch(() => undefined);
  }
});

/** The patient page's clock, faked once (time still flows) so a test can move it on. */
let clockInstalled = false;
async function patientClock() {
  if (!clockInstalled) await call.patient.clock.install();
  clockInstalled = true;
  return call.patient.clock;
}

/**
 * Moves the patient page's clock on by `ms`, in steps shorter than an API call's 60 s timeout and
 * with real time between them for the calls under way (the room's others too) to end, so only a
 * stuck upload is overdue.
 */
async function clockOn(ms: number) {
  const clock = await patientClock();
  for (let t = 0; t < ms; t += 20_000) {
    await clock.fastForward(Math.min(20_000, ms - t));
    await call.patient.waitForTimeout(300);
  }
}

/** The upload of `name` is still going just short of SEAL_STALL_MS, and has failed, saying so, just after. */
async function expectFailsOnceStalled(name: string) {
  const item = fileItem(call.patient, name);
  await expect(item).toHaveAttribute("data-state", "uploading");
  await clockOn(SEAL_STALL_MS - 20_000);
  await expect(item).toHaveAttribute("data-state", "uploading");
  await clockOn(40_000);
  await expect(item).toHaveAttribute("data-state", "failed");
  await expect(item).toContainText("made no progress");
}

test("an upload whose sealing worker stops reading the file fails, saying what the worker waited for", async () => {
  const [file] = (await makeFiles([randomFile(`stuck-worker-${tag}.bin`, 20 * MiB)])) as [TestFile];
  await patientClock();
  // The worker's start message is held until the worker's own Blob reads have been made to
  // give nothing after the first 12 MiB (a read that never returns, the symptom in
  // docs/bench-log/2026-12-05-documents-4-fourth-pass.md): the first 8 MiB part is sent, the
  // second never comes.
  await call.patient.evaluate(() => {
    const held: (() => void)[] = [];
    let holding = true;
    class HoldingWorker extends Worker {
      override postMessage(message: unknown, options?: StructuredSerializeOptions | Transferable[]): void {
        const send = () => super.postMessage(message, options as StructuredSerializeOptions);
        if (holding && (message as { type?: string }).type === "start") held.push(send);
        else send();
      }
    }
    window.Worker = HoldingWorker;
    (window as unknown as { __releaseStart: () => void }).__releaseStart = () => {
      holding = false;
      for (const send of held) send();
    };
  });
  const warnings: string[] = [];
  call.patient.on("console", (m) => void (m.type() === "warning" && warnings.push(m.text())));
  const started = call.patient.waitForEvent("worker");
  await call.patient.getByTestId("file-input").setInputFiles(file.path);
  const worker = await started;
  await worker.evaluate(stallBlobStreams, { limit: 12 * MiB, firstOnly: false }); // a file opened again stalls at once too
  // The clock moves on only once the worker is under way (its first part is being sent): moved
  // earlier, it would pass the page's wait for the worker to start, and the page would seal instead.
  const firstPart = call.patient.waitForRequest((r) => r.method() === "PUT");
  await call.patient.evaluate(() => (window as unknown as { __releaseStart: () => void }).__releaseStart());
  await firstPart;
  await expect.poll(() => stalled(worker)).toBe(true);
  await expectFailsOnceStalled(file.name);
  expect(warnings.join("\n")).toMatch(/the encryption worker is waiting for reading the file.*, (8|9|10|11) MiB sealed/);
  await expect.poll(() => spoolEntries(call.patient)).toEqual([]);
  await expect(fileItem(call.doctor, file.name)).toHaveCount(0);
});

test("where the browser has no origin-private file system, the page seals in memory and the doctor still gets the same bytes", async () => {
  const [file] = (await makeFiles([randomFile(`in-memory-${tag}.bin`, 9 * MiB + 7)])) as [TestFile];
  const workers = countWorkers(call.patient);
  await call.patient.evaluate(() => Object.defineProperty(StorageManager.prototype, "getDirectory", { value: undefined, configurable: true }));
  await call.patient.getByTestId("file-input").setInputFiles(file.path);
  await expect(fileItem(call.patient, file.name)).toHaveAttribute("data-state", "ready", { timeout: 60_000 });
  expect(workers()).toBe(0);
  expect(sha256(await downloadOf(call.doctor, file))).toBe(sha256(file.bytes));
});

test("a read of the file that is never answered is started again where it stopped, and the doctor still gets the same bytes", async () => {
  const [file] = (await makeFiles([randomFile(`stalled-read-${tag}.bin`, 3 * MiB + 5)])) as [TestFile];
  // The page seals in memory here (the test above took OPFS away), so the file's streams are the
  // page's: the first one stops answering after 1 MiB, as Chromium's were seen to under load.
  await patientClock();
  await call.patient.evaluate(stallBlobStreams, { limit: MiB, firstOnly: true });
  const warnings: string[] = [];
  call.patient.on("console", (m) => void (m.type() === "warning" && warnings.push(m.text())));
  await call.patient.getByTestId("file-input").setInputFiles(file.path);
  const item = fileItem(call.patient, file.name);
  await expect(item).toHaveAttribute("data-state", "uploading");
  await expect.poll(() => stalled(call.patient)).toBe(true);
  await clockOn(READ_STALL_MS + 5_000);
  await expect(item).toHaveAttribute("data-state", "ready", { timeout: 60_000 });
  expect(warnings).toContain(reopenWarning(MiB));
  expect(sha256(await downloadOf(call.doctor, file))).toBe(sha256(file.bytes));
});
