// The room's documents (lib/client/files/file-transfers.ts) with hand-driven uploads and downloads:
// an upload's progress, its announcement in the chat, failure and a fresh retry, cancelling, the
// clinic's size limit, the chat's "may send"; the server's `file` events; downloads and previews
// with their progress and errors.
import { describe, expect, it } from "vitest";
import { ClientApiError } from "@/lib/client/api";
import { DownloadError } from "@/lib/client/files/download";
import { FileTransfers, type FilesInput, type FilesState } from "@/lib/client/files/file-transfers";
import type { FileView, StreamEvent } from "@/lib/shared/api";
import { FakeFileChat, FakeFilePorts, fileMessage, noticeFor } from "./fakes/fake-file-ports";

const consultId = crypto.randomUUID();
const me = { userId: crypto.randomUUID(), participantId: crypto.randomUUID() };
const patient = { userId: crypto.randomUUID(), participantId: crypto.randomUUID() };
const tick = () => new Promise<void>((r) => setImmediate(r));

function setup(o: { maxFileBytes?: number; blocked?: boolean } = {}) {
  const ports = new FakeFilePorts();
  const chat = new FakeFileChat(me.userId, () => ports.now());
  const files = new FileTransfers({ consultId, userId: me.userId, maxFileBytes: o.maxFileBytes ?? 10_000_000, chat, ports });
  let input: FilesInput = { chatItems: [], blocked: o.blocked ?? false, readable: true, myParticipantId: me.participantId };
  const update = (patch: Partial<FilesInput>) => files.update((input = { ...input, ...patch }));
  chat.onItems = (chatItems) => update({ chatItems });
  const states: FilesState[] = [];
  files.subscribe(() => states.push(files.state()));
  update({});
  return { ports, chat, files, update, states, items: () => files.state().items };
}

const file = (name: string, size: number, type = "application/pdf") => new File([new Uint8Array(size)], name, { type });
const view = (id: string, status: FileView["status"], uploader = patient.participantId): FileView => ({
  id,
  uploaderParticipantId: uploader,
  status,
  size: 1_016,
  partCount: 1,
  createdAt: new Date(0).toISOString(),
  completedAt: null,
});

/** A `file` event of the room's stream, as lib/server/files.ts emits it. */
const fileEvent = (type: string, payload: FileView | { id: string }, from: string | null = null): StreamEvent => ({ seq: 0, kind: "file", type, from, to: null, payload, at: "" });

/** A document the patient sent, in the chat and ready on the server. */
async function patientDocument(t: ReturnType<typeof setup>, name = "x-ray.png", type = "image/png", size = 1_000) {
  const fileId = crypto.randomUUID();
  t.ports.listAnswer = [view(fileId, "ready")];
  t.update({ readable: false });
  t.update({ readable: true });
  t.chat.add(fileMessage(noticeFor(fileId, name, type, size), { mine: false, senderUserId: patient.userId, seq: 0, at: 1 }));
  await tick();
  return fileId;
}

describe("what the documents panel re-renders", () => {
  it("publishes nothing when a chat message that is not a document arrives, and the new document when one does", async () => {
    const t = setup();
    await tick();
    const fileId = await patientDocument(t);
    const published = t.states.length;
    const text = {
      type: "message" as const,
      id: crypto.randomUUID(),
      senderDeviceId: "d",
      senderUserId: patient.userId,
      seq: 1,
      mine: false,
      body: "hello",
      at: 2,
      state: "delivered" as const,
      senderVerified: true,
    };
    t.chat.add(text);
    expect(t.states.length).toBe(published);
    const second = crypto.randomUUID();
    t.chat.add(fileMessage(noticeFor(second, "b.pdf", "application/pdf", 1_000), { mine: false, senderUserId: patient.userId, seq: 2, at: 3 }));
    expect(t.states.length).toBe(published + 1);
    expect(t.items().map((i) => i.id)).toEqual(expect.arrayContaining([fileId, second]));
  });
});

describe("sending a document", () => {
  it("shows the upload's progress, announces it in the chat, and then shows the chat's document once", async () => {
    const t = setup();
    await tick(); // the server's list is read
    t.files.send([file("scan.pdf", 1_000)]);
    expect(t.items()).toEqual([expect.objectContaining({ id: "local-1", name: "scan.pdf", state: "uploading", progress: 0, mine: true })]);
    const [up] = t.ports.uploads;
    expect(up?.o).toMatchObject({ consultId, file: expect.objectContaining({ name: "scan.pdf" }) as unknown });
    const fileId = crypto.randomUUID();
    up?.o.onStarted?.(fileId);
    t.files.receive(fileEvent("uploading", view(fileId, "uploading", me.participantId)));
    up?.o.onProgress({ sent: 508, total: 1_016 });
    expect(t.items()).toEqual([expect.objectContaining({ id: "local-1", state: "uploading", progress: 0.5 })]);

    t.files.receive(fileEvent("ready", view(fileId, "ready", me.participantId)));
    expect(t.files.state().incoming).toEqual([]); // this device's own upload is not "incoming"
    up?.resolve(noticeFor(fileId, "scan.pdf", "application/pdf", 1_000));
    await tick();
    expect(t.chat.sent.map((n) => n.name)).toEqual(["scan.pdf"]);
    expect(t.items()).toEqual([expect.objectContaining({ id: fileId, name: "scan.pdf", state: "ready", mine: true, downloading: false, canPreview: true })]);
    expect(Math.max(...t.states.map((s) => s.items.length))).toBe(1); // never the upload and the document at once
    expect(t.files.isLocalUpload("local-1")).toBe(false);
  });

  it("shows why an upload failed, and a retry starts a new upload from the start", async () => {
    const t = setup();
    await tick();
    t.files.send([file("report.pdf", 2_000)]);
    const first = t.ports.uploads[0];
    first?.o.onStarted?.(crypto.randomUUID());
    first?.o.onProgress({ sent: 1_500, total: 2_016 });
    first?.reject(new Error("The store did not accept part 1. Try again."));
    await tick();
    expect(t.items()).toEqual([expect.objectContaining({ id: "local-1", state: "failed", problem: "The store did not accept part 1. Try again." })]);
    expect(t.chat.sent).toEqual([]);

    t.files.retry("local-1");
    expect(t.ports.uploads).toHaveLength(2);
    const second = t.ports.uploads[1];
    expect(second?.o.signal).not.toBe(first?.o.signal);
    expect(second?.o.signal.aborted).toBe(false);
    expect(t.items()).toEqual([expect.objectContaining({ id: "local-1", state: "uploading", progress: 0, problem: undefined })]);

    const fileId = crypto.randomUUID();
    second?.o.onStarted?.(fileId);
    t.files.receive(fileEvent("ready", view(fileId, "ready", me.participantId)));
    second?.resolve(noticeFor(fileId, "report.pdf", "application/pdf", 2_000));
    await tick();
    expect(t.items()).toEqual([expect.objectContaining({ id: fileId, state: "ready" })]);
  });

  it("cancels an upload: its signal is aborted and it disappears without an error", async () => {
    const t = setup();
    t.files.send([file("a.pdf", 10), file("b.pdf", 10)]);
    t.files.cancel("local-1");
    expect(t.ports.uploads[0]?.o.signal.aborted).toBe(true);
    expect((t.ports.uploads[0]?.o.signal.reason as DOMException).name).toBe("AbortError");
    await tick();
    expect(t.items().map((i) => [i.name, i.state, i.problem])).toEqual([["b.pdf", "uploading", undefined]]);
    expect(t.chat.sent).toEqual([]);
  });

  it("refuses a document over the clinic's limit with a notice, and sends the others", () => {
    const t = setup({ maxFileBytes: 1_000 });
    t.files.send([file("big.pdf", 2_500), file("small.pdf", 10)]);
    expect(t.files.state().notice).toBe("big.pdf is 2.5 KB: this clinic accepts documents up to 1 KB.");
    expect(t.ports.uploads.map((u) => u.o.file.name)).toEqual(["small.pdf"]);
    expect(t.items().map((i) => i.name)).toEqual(["small.pdf"]);
  });

  it("sends nothing while chat may not send, and says so", () => {
    const t = setup({ blocked: true });
    expect(t.files.state().blocked).toBe(true);
    t.files.send([file("scan.pdf", 10)]);
    expect(t.files.state().notice).toBe("Documents can be sent once chat is open (see the chat panel).");
    expect(t.ports.uploads).toEqual([]);
    expect(t.items()).toEqual([]);
  });

  it("shows the upload as failed when the chat cannot announce it", async () => {
    const t = setup();
    t.chat.refusing = true;
    t.files.send([file("scan.pdf", 10)]);
    const fileId = crypto.randomUUID();
    t.ports.uploads[0]?.resolve(noticeFor(fileId, "scan.pdf", "application/pdf", 10));
    await tick();
    expect(t.items()).toEqual([expect.objectContaining({ id: "local-1", state: "failed", problem: "The document was uploaded but could not be announced: chat is not available right now." })]);
  });
});

describe("the server's document states", () => {
  it("turns a document failed when the server says it failed, and removed when it was deleted", async () => {
    const t = setup();
    const fileId = await patientDocument(t);
    expect(t.items()).toEqual([expect.objectContaining({ id: fileId, state: "ready", mine: false, canPreview: true })]);
    t.files.receive(fileEvent("failed", { id: fileId }));
    expect(t.items()).toEqual([expect.objectContaining({ id: fileId, state: "failed", canPreview: false, problem: undefined })]);
    t.files.receive(fileEvent("deleted", { id: fileId }));
    expect(t.items()).toEqual([expect.objectContaining({ id: fileId, state: "failed", problem: "This document was removed from the server." })]);
  });

  it("lists what the other side is uploading, not this device's own uploads", async () => {
    const t = setup();
    await tick();
    const theirs = view(crypto.randomUUID(), "uploading");
    t.files.receive(fileEvent("uploading", theirs, patient.participantId));
    t.files.receive(fileEvent("uploading", view(crypto.randomUUID(), "uploading", me.participantId), me.participantId));
    expect(t.files.state().incoming).toEqual([theirs]);
    t.files.receive(fileEvent("ready", { ...theirs, status: "ready" }, patient.participantId));
    expect(t.files.state().incoming).toEqual([]);
  });

  it("shows a document as removed when a list asked for after its announcement leaves it out", async () => {
    const t = setup();
    const fileId = await patientDocument(t);
    expect(t.items()).toEqual([expect.objectContaining({ id: fileId, state: "ready" })]);
    t.ports.listAnswer = []; // the patient comes back: the server no longer has it
    t.update({ readable: false });
    t.update({ readable: true });
    await tick();
    expect(t.items()).toEqual([expect.objectContaining({ id: fileId, state: "failed", problem: "This document was removed from the server." })]);
  });

  it("keeps a document ready when a file event arrives for another one while the list could not be read", async () => {
    const t = setup();
    t.ports.listAnswer = new Error("offline");
    t.update({ readable: false });
    t.update({ readable: true });
    const fileId = crypto.randomUUID();
    t.chat.add(fileMessage(noticeFor(fileId, "x-ray.png", "image/png", 1_000), { mine: false, senderUserId: patient.userId, seq: 0, at: 1 }));
    await tick();
    t.files.receive(fileEvent("uploading", view(crypto.randomUUID(), "uploading"), patient.participantId));
    expect(t.items()).toEqual([expect.objectContaining({ id: fileId, state: "ready", problem: undefined })]);
  });

  it("keeps what a file event said when the list that was asked for before it answers after it", async () => {
    const t = setup(); // the list is on its way
    const fileId = crypto.randomUUID();
    t.files.receive(fileEvent("ready", view(fileId, "ready"), patient.participantId));
    t.chat.add(fileMessage(noticeFor(fileId, "x-ray.png", "image/png", 1_000), { mine: false, senderUserId: patient.userId, seq: 0, at: 1 }));
    await tick(); // the (older) empty list arrives
    expect(t.items()).toEqual([expect.objectContaining({ id: fileId, state: "ready", problem: undefined })]);
  });
});

describe("downloads and previews", () => {
  it("shows a download's progress, and nothing once it is saved", async () => {
    const t = setup();
    const fileId = await patientDocument(t, "labs.pdf", "application/pdf", 400);
    const done = t.files.download(fileId);
    await tick();
    expect(t.ports.saveTargets).toEqual([{ name: "labs.pdf", type: "application/pdf", size: 400 }]);
    const d = t.ports.downloads[0];
    expect(d?.o.notice.name).toBe("labs.pdf");
    d?.o.onProgress({ received: 100, total: 400 });
    expect(t.items()[0]).toMatchObject({ downloading: true, progress: 0.25 });
    d?.o.onProgress({ received: 400, total: 400 });
    expect(t.items()[0]).toMatchObject({ downloading: true, progress: 1 });
    d?.resolve();
    await done;
    expect(t.items()[0]).toMatchObject({ downloading: false, progress: undefined, problem: undefined });
  });

  it.each([
    [
      "a document that fails its check",
      new DownloadError("This document was altered or is not the one announced. It was not saved.", true),
      "This document was altered or is not the one announced. It was not saved.",
    ],
    ["a refused request", new ClientApiError(404, "not_found", "This document is no longer on the server."), "This document is no longer on the server."],
    ["anything else", "boom", "Something went wrong. Try again."],
  ])("shows why a download failed: %s", async (_what, err, shown) => {
    const t = setup();
    const fileId = await patientDocument(t, "labs.pdf", "application/pdf", 400);
    const done = t.files.download(fileId);
    await tick();
    t.ports.downloads[0]?.reject(err);
    await done;
    expect(t.items()[0]).toMatchObject({ downloading: false, problem: shown });
  });

  it("stops a download when the person says so", async () => {
    const t = setup();
    const fileId = await patientDocument(t);
    const done = t.files.download(fileId);
    await tick();
    t.files.stopDownload(fileId);
    expect(t.ports.downloads[0]?.o.signal.aborted).toBe(true);
    await done;
    expect(t.items()[0]?.downloading).toBe(false);
  });

  it("previews an image into memory, and refuses to preview what the browser should not show", async () => {
    const t = setup();
    const image = await patientDocument(t, "rash.png", "image/png", 1_000);
    const shown = t.files.preview(image);
    await tick();
    t.ports.previews[0]?.o.onProgress({ received: 500, total: 1_000 });
    expect(t.items()[0]).toMatchObject({ downloading: true, progress: 0.5 });
    const blob = new Blob([new Uint8Array(1_000)], { type: "image/png" });
    t.ports.previews[0]?.resolve(blob);
    expect(await shown).toEqual({ url: "blob:parley/1", type: "image/png", name: "rash.png" });
    expect(t.ports.objectUrls).toEqual([blob]);
    expect(t.items()[0]?.downloading).toBe(false);

    const page = await patientDocument(t, "notes.html", "text/html", 100);
    expect(await t.files.preview(page)).toBeUndefined();
    expect(t.ports.previews).toHaveLength(1);
  });

  it("shows why a preview failed", async () => {
    const t = setup();
    const image = await patientDocument(t, "rash.png", "image/png", 1_000);
    const shown = t.files.preview(image);
    await tick();
    t.ports.previews[0]?.reject(new DownloadError("The connection broke five times. Try again."));
    expect(await shown).toBeUndefined();
    expect(t.items()[0]).toMatchObject({ downloading: false, problem: "The connection broke five times. Try again." });
  });
});
