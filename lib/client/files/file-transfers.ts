// The room's documents (PROTOCOL §5), framework-free. Sending: encrypt and upload (upload.ts),
// then announce through the chat (a sealed `file` message); each upload shows progress and can be
// cancelled or, after a failure, sent again from the start. Downloading decrypts into an ordinary
// download (save-file.ts), previews into memory (images and PDFs only, small ones). The server's
// list and `file` events give only states. React reads `state` (lib/client/room/use-room-runtime.ts).
import type { FileNotice } from "@/lib/crypto";
import type { FileView, StreamEvent } from "@/lib/shared/api";
import { ClientApiError } from "../api";
import { fileActions } from "../consults";
import { Published } from "../store";
import type { ChatItem } from "../chat/chat-log";
import { formatBytes } from "../chat/message-body";
import { downloadFile, downloadToBlob, DownloadError, type DownloadOptions } from "./download";
import { openSaveTarget, type SaveTarget } from "./save-file";
import { uploadFile, type UploadOptions } from "./upload";
import { throttleProgress } from "./progress";
import { ServerFiles } from "./server-files";
import { canPreview, documentItems, noticesOf, type DocumentItem, type Download, type Notice, type Upload } from "./document-items";

export type FilePorts = {
  list(consultId: string): Promise<{ files: FileView[] }>;
  upload(o: UploadOptions): Promise<FileNotice>;
  download(o: DownloadOptions): Promise<void>;
  downloadToBlob(o: Omit<DownloadOptions, "sink">): Promise<Blob>;
  openSaveTarget(name: string, type: string, size: number): Promise<SaveTarget>;
  objectUrl(blob: Blob): string;
  newId(): string;
  now(): number;
};

export const browserFilePorts: FilePorts = {
  list: (consultId) => fileActions.list(consultId),
  upload: uploadFile,
  download: downloadFile,
  downloadToBlob,
  openSaveTarget,
  objectUrl: (blob) => URL.createObjectURL(blob),
  newId: () => crypto.randomUUID(),
  now: () => Date.now(),
};

/** The chat, as the documents see it: announcing an upload, and whether sending is allowed. */
export type FileChatLink = { sendFile(notice: FileNotice): Promise<boolean> };

export type FilesInput = {
  /** the chat's items: the documents' notices */
  chatItems: ChatItem[];
  /** sending is not allowed right now (the chat's reason) */
  blocked: boolean;
  /** the history may be loaded (in the consult, or the doctor after it) */
  readable: boolean;
  myParticipantId: string;
};

export type FilesState = {
  items: DocumentItem[];
  /** documents the other side is uploading right now (sizes only: the name arrives with the notice) */
  incoming: FileView[];
  notice?: string;
  blocked: boolean;
  maxFileBytes: number;
};

export type FileTransfersOptions = { consultId: string; userId: string; maxFileBytes: number; chat: FileChatLink; ports: FilePorts };

const reasonOf = (err: unknown) => (err instanceof Error && err.message ? err.message : "Something went wrong. Try again.");

export class FileTransfers {
  private readonly view: Published<FilesState>;
  private input: FilesInput = { chatItems: [], blocked: true, readable: false, myParticipantId: "" };
  private notices = new Map<string, Notice>();
  private readonly server = new ServerFiles();
  private uploads: Upload[] = [];
  private downloads = new Map<string, Download>();
  private notice: string | undefined;
  private disposed = false;
  readonly state: () => FilesState;
  readonly subscribe: (listener: () => void) => () => void;

  constructor(private readonly o: FileTransfersOptions) {
    this.view = new Published<FilesState>({ items: [], incoming: [], blocked: true, maxFileBytes: o.maxFileBytes });
    this.state = this.view.get;
    this.subscribe = this.view.subscribe;
  }

  update(next: FilesInput): void {
    const prev = this.input;
    this.input = next;
    // A chat message that is not about a document changes nothing here (and re-renders nothing).
    let noticesChanged = false;
    if (next.chatItems !== prev.chatItems) {
      const notices = noticesOf(next.chatItems);
      noticesChanged = !sameNotices(notices, this.notices);
      if (noticesChanged) this.notices = notices;
    }
    if (next.readable && !prev.readable) {
      const answer = this.server.asking(this.notices.keys());
      this.o.ports.list(this.o.consultId).then(
        ({ files }) => {
          answer(files);
          this.render();
        },
        () => undefined, // shown as ready until the server says otherwise; a download then tells what happened
      );
    }
    if (noticesChanged || next.blocked !== prev.blocked || next.myParticipantId !== prev.myParticipantId) this.render();
  }

  /** A `file` event from the room's stream: the state of a document on the server. */
  receive(e: StreamEvent): void {
    if (this.server.hear(e)) this.render();
  }

  /** Starts sending each file (the same rules as chat: PROTOCOL §3 must allow sending). */
  send = (files: Iterable<File>): void => {
    this.notice = undefined;
    if (this.input.blocked) {
      this.notice = "Documents can be sent once chat is open (see the chat panel).";
      return this.render();
    }
    const max = this.o.maxFileBytes;
    for (const file of files) {
      if (file.size > max) {
        this.notice = `${file.name} is ${formatBytes(file.size)}: this clinic accepts documents up to ${formatBytes(max)}.`;
        continue;
      }
      const u: Upload = { localId: this.o.ports.newId(), file, controller: new AbortController(), sent: 0, total: file.size, at: this.o.ports.now() };
      this.uploads = [...this.uploads, u];
      void this.start(u);
    }
    this.render();
  };

  cancel = (localId: string): void => {
    this.uploads.find((x) => x.localId === localId)?.controller.abort(new DOMException("Cancelled", "AbortError"));
    this.dropUpload(localId);
  };

  /** A failed upload goes again from the start: a new key and file id (PROTOCOL §5). */
  retry = (localId: string): void => {
    const old = this.uploads.find((x) => x.localId === localId);
    if (!old) return;
    const u: Upload = { ...old, fileId: undefined, controller: new AbortController(), sent: 0, problem: undefined };
    this.uploads = this.uploads.map((x) => (x.localId === localId ? u : x));
    this.render();
    void this.start(u);
  };

  isLocalUpload = (id: string): boolean => this.uploads.some((u) => u.localId === id);

  download = async (id: string): Promise<void> => {
    const n = this.notices.get(id);
    if (!n) return;
    const controller = new AbortController();
    this.setDownload(id, { progress: 0, controller });
    try {
      const target = await this.o.ports.openSaveTarget(n.file.name, n.file.type, n.file.size);
      const shown = throttleProgress((received, total) => this.setDownload(id, { progress: received / total, controller }));
      await this.o.ports.download({ consultId: this.o.consultId, notice: n.file, sink: target.writable, signal: controller.signal, onProgress: (p) => shown(p.received, p.total) });
      this.setDownload(id, undefined);
    } catch (err) {
      this.setDownload(id, { progress: 0, problem: err instanceof DownloadError || err instanceof ClientApiError ? err.message : reasonOf(err) });
    }
  };

  /** Decrypts an image or PDF into memory for the room's preview; the caller revokes the URL. */
  preview = async (id: string): Promise<{ url: string; type: string; name: string } | undefined> => {
    const n = this.notices.get(id);
    if (!n || !canPreview(n.file)) return undefined;
    const controller = new AbortController();
    this.setDownload(id, { progress: 0, controller });
    try {
      const shown = throttleProgress((received, total) => this.setDownload(id, { progress: received / total, controller }));
      const blob = await this.o.ports.downloadToBlob({ consultId: this.o.consultId, notice: n.file, signal: controller.signal, onProgress: (p) => shown(p.received, p.total) });
      this.setDownload(id, undefined);
      return { url: this.o.ports.objectUrl(blob), type: n.file.type, name: n.file.name };
    } catch (err) {
      this.setDownload(id, { progress: 0, problem: reasonOf(err) });
      return undefined;
    }
  };

  stopDownload = (id: string): void => this.downloads.get(id)?.controller?.abort(new DOMException("Cancelled", "AbortError"));

  dispose(): void {
    this.disposed = true;
  }

  private async start(u: Upload): Promise<void> {
    try {
      const notice = await this.o.ports.upload({
        consultId: this.o.consultId,
        file: u.file,
        signal: u.controller.signal,
        onStarted: (fileId) => this.patchUpload(u.localId, { fileId }),
        onProgress: (p) => this.patchUpload(u.localId, { sent: p.sent, total: p.total }),
      });
      if (!(await this.o.chat.sendFile(notice))) throw new Error("The document was uploaded but could not be announced: chat is not available right now.");
      this.dropUpload(u.localId);
    } catch (err) {
      if (u.controller.signal.aborted) this.dropUpload(u.localId);
      else this.patchUpload(u.localId, { problem: reasonOf(err) });
    }
  }

  private patchUpload(localId: string, patch: Partial<Upload>): void {
    this.uploads = this.uploads.map((u) => (u.localId === localId ? { ...u, ...patch } : u));
    this.render();
  }

  private dropUpload(localId: string): void {
    this.uploads = this.uploads.filter((x) => x.localId !== localId);
    this.render();
  }

  private setDownload(id: string, d: Download | undefined): void {
    const next = new Map(this.downloads);
    if (d) next.set(id, d);
    else next.delete(id);
    this.downloads = next;
    this.render();
  }

  private render(): void {
    if (this.disposed) return;
    const me = this.input.myParticipantId;
    const incoming = this.server.incoming(me);
    this.view.publish({
      items: documentItems(this.notices, (id) => this.server.stateOf(id), this.downloads, this.uploads, this.o.userId),
      incoming,
      notice: this.notice,
      blocked: this.input.blocked,
      maxFileBytes: this.o.maxFileBytes,
    });
  }
}

export type { DocumentItem };

/** The same documents announced by the same chat items (the chat log keeps an unchanged item's identity). */
function sameNotices(a: Map<string, Notice>, b: Map<string, Notice>): boolean {
  if (a.size !== b.size) return false;
  for (const [id, n] of a) if (b.get(id)?.item !== n.item) return false;
  return true;
}
