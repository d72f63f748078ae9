// The edges of the room's documents (FilePorts in lib/client/files/file-transfers.ts), driven by
// hand: each upload, download and preview waits until the test settles it, and reports progress
// when the test says; an aborted signal rejects it as the real ones do. Also the chat as the
// documents see it: announcing a notice adds a `file` message to the chat's items and tells the
// documents, as lib/client/room/room-runtime.ts links them.
import { randomBytes, uuidBytes, type FileNotice } from "@/lib/crypto";
import type { ChatItem, ChatMessageItem } from "@/lib/client/chat/chat-log";
import type { DownloadOptions } from "@/lib/client/files/download";
import type { FileChatLink, FilePorts } from "@/lib/client/files/file-transfers";
import type { SaveTarget } from "@/lib/client/files/save-file";
import type { UploadOptions } from "@/lib/client/files/upload";
import type { FileView } from "@/lib/shared/api";

/** A call the test answers: its options, and resolve / reject. */
export type Pending<O, T> = { o: O; resolve(value: T): void; reject(err: unknown): void };

function pending<O extends { signal: AbortSignal }, T>(list: Pending<O, T>[], o: O): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    list.push({ o, resolve, reject });
    o.signal.addEventListener("abort", () => reject(o.signal.reason as Error), { once: true });
  });
}

export class FakeFilePorts implements FilePorts {
  readonly uploads: Pending<UploadOptions, FileNotice>[] = [];
  readonly downloads: Pending<DownloadOptions, void>[] = [];
  readonly previews: Pending<Omit<DownloadOptions, "sink">, Blob>[] = [];
  readonly saveTargets: { name: string; type: string; size: number }[] = [];
  readonly objectUrls: Blob[] = [];
  lists = 0;
  /** what the server's list answers (an Error: the request fails) */
  listAnswer: FileView[] | Error = [];
  time = 1_700_000_000_000;
  private ids = 0;

  list(_consultId: string): Promise<{ files: FileView[] }> {
    this.lists++;
    const a = this.listAnswer;
    return a instanceof Error ? Promise.reject(a) : Promise.resolve({ files: a });
  }

  upload(o: UploadOptions): Promise<FileNotice> {
    return pending(this.uploads, o);
  }

  download(o: DownloadOptions): Promise<void> {
    return pending(this.downloads, o);
  }

  downloadToBlob(o: Omit<DownloadOptions, "sink">): Promise<Blob> {
    return pending(this.previews, o);
  }

  openSaveTarget(name: string, type: string, size: number): Promise<SaveTarget> {
    this.saveTargets.push({ name, type, size });
    return Promise.resolve({ writable: new WritableStream<Uint8Array>(), mode: "memory" });
  }

  objectUrl(blob: Blob): string {
    this.objectUrls.push(blob);
    return `blob:parley/${this.objectUrls.length}`;
  }

  newId(): string {
    return `local-${++this.ids}`;
  }

  now(): number {
    return this.time++;
  }
}

/** A notice as the upload returns it for `fileId` (the DK and M are random: nothing is decrypted here). */
export function noticeFor(fileId: string, name: string, type: string, size: number): FileNotice {
  const chunkSize = 256 * 1024;
  return { fileId: uuidBytes(fileId), key: randomBytes(32), name, type, size, chunkSize, chunkCount: Math.max(1, Math.ceil(size / chunkSize)), hash: randomBytes(32) };
}

/** The chat's `file` message for a notice. */
export function fileMessage(notice: FileNotice, o: { mine: boolean; senderUserId: string; seq: number; at: number }): ChatMessageItem {
  return {
    type: "message",
    id: crypto.randomUUID(),
    senderDeviceId: crypto.randomUUID(),
    senderUserId: o.senderUserId,
    seq: o.seq,
    mine: o.mine,
    body: `Sent a document: ${notice.name}`,
    file: notice,
    at: o.at,
    state: o.mine ? "sending" : "delivered",
    senderVerified: true,
  };
}

/** The chat as the documents see it: `sendFile` seals a `file` message (or refuses, while `refusing`). */
export class FakeFileChat implements FileChatLink {
  items: ChatItem[] = [];
  readonly sent: FileNotice[] = [];
  refusing = false;
  /** the documents hear of every change of the chat's items */
  onItems: (items: ChatItem[]) => void = () => undefined;

  constructor(
    private readonly userId: string,
    private readonly now: () => number,
  ) {}

  sendFile(notice: FileNotice): Promise<boolean> {
    if (this.refusing) return Promise.resolve(false);
    this.sent.push(notice);
    this.add(fileMessage(notice, { mine: true, senderUserId: this.userId, seq: this.items.length, at: this.now() }));
    return Promise.resolve(true);
  }

  add(item: ChatItem): void {
    this.items = [...this.items, item];
    this.onItems(this.items);
  }
}
