"use client";
// The room's documents for the UI (PROTOCOL §5). A document exists for the people of the consult
// once its sealed `file` message is in the chat (lib/client/chat): that notice carries the key,
// name, type, size and M. The server's list and `file` events add only its state (uploading,
// ready, gone). Sending: encrypt and upload (upload.ts), then announce through the chat; each
// upload shows progress and can be cancelled. Downloading decrypts into an ordinary download
// (save-file.ts), previews into memory (images and PDFs only, small ones).
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { bytesToUuid, type FileNotice } from "@/lib/crypto";
import { fileView, type FileView, type StreamEvent } from "@/lib/shared/api";
import type { ChatMessageItem } from "../chat/chat-log";
import type { ChatView } from "../chat/use-chat";
import { fileActions } from "../consults";
import type { SignalBus } from "../use-call";
import { ClientApiError } from "../api";
import { formatBytes } from "../chat/message-body";
import { downloadFile, downloadToBlob, DownloadError } from "./download";
import { openSaveTarget } from "./save-file";
import { uploadFile } from "./upload";
import { throttleProgress } from "./progress";

/** Previews are decrypted into memory: only for types the browser shows safely, and not too large. */
const PREVIEW_TYPES = /^(image\/(png|jpeg|gif|webp|avif|bmp)|application\/pdf)$/;
export const PREVIEW_MAX_BYTES = 50 * 1000 * 1000;

export type DocumentState = "uploading" | "ready" | "failed";

export type DocumentItem = {
  /** the file id (or, while the server has none yet, a local id) */
  id: string;
  name: string;
  type: string;
  /** plaintext bytes */
  size: number;
  senderUserId: string;
  mine: boolean;
  at: number;
  state: DocumentState;
  /** 0..1 while uploading or downloading */
  progress?: number;
  downloading: boolean;
  problem?: string;
  canPreview: boolean;
  /** the sender's key was compared, not only trusted on first use */
  senderVerified: boolean;
};

type Upload = { localId: string; fileId?: string; file: File; controller: AbortController; sent: number; total: number; problem?: string; at: number };
type Download = { progress: number; problem?: string; controller?: AbortController };

export type UseFilesOptions = {
  consultId: string;
  userId: string;
  myParticipantId: string;
  chat: ChatView;
  events: SignalBus;
  maxFileBytes: number;
  /** the history may be loaded (in the consult, or the doctor after it) */
  readable: boolean;
};

const reasonOf = (err: unknown) => (err instanceof Error && err.message ? err.message : "Something went wrong. Try again.");

export function useFiles(o: UseFilesOptions) {
  const { consultId, chat, events, readable } = o;
  const [server, setServer] = useState<Map<string, FileView>>();
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [downloads, setDownloads] = useState<Map<string, Download>>(new Map());
  const [notice, setNotice] = useState<string>();
  const opts = useRef(o);
  useEffect(() => {
    opts.current = o;
  });

  // ---- the server's view: states only ----
  useEffect(() => {
    if (!readable) return;
    let cancelled = false;
    fileActions.list(consultId).then(
      ({ files }) => {
        if (!cancelled) setServer(new Map(files.map((f) => [f.id, f])));
      },
      () => undefined, // shown as ready until the server says otherwise; a download then tells what happened
    );
    return () => {
      cancelled = true;
    };
  }, [readable, consultId]);
  useEffect(
    () =>
      events.listen((e: StreamEvent) => {
        if (e.kind !== "file") return;
        if (e.type === "deleted" || e.type === "failed") {
          const id = (e.payload as { id?: unknown }).id;
          if (typeof id === "string")
            setServer((m) => {
              const next = new Map(m);
              if (e.type === "deleted") next.delete(id);
              else {
                const f = next.get(id);
                if (f) next.set(id, { ...f, status: "failed" });
              }
              return next;
            });
          return;
        }
        const f = fileView.safeParse(e.payload);
        if (f.success) setServer((m) => new Map(m).set(f.data.id, f.data));
      }),
    [events],
  );

  // ---- sending ----
  const patchUpload = useCallback((localId: string, patch: Partial<Upload>) => {
    setUploads((list) => list.map((u) => (u.localId === localId ? { ...u, ...patch } : u)));
  }, []);

  const start = useCallback(
    async (u: Upload) => {
      try {
        const notice = await uploadFile({
          consultId,
          file: u.file,
          signal: u.controller.signal,
          onStarted: (fileId) => patchUpload(u.localId, { fileId }),
          onProgress: (p) => patchUpload(u.localId, { sent: p.sent, total: p.total }),
        });
        if (!(await opts.current.chat.sendFile(notice))) throw new Error("The document was uploaded but could not be announced: chat is not available right now.");
        setUploads((list) => list.filter((x) => x.localId !== u.localId));
      } catch (err) {
        if (u.controller.signal.aborted) {
          setUploads((list) => list.filter((x) => x.localId !== u.localId));
          return;
        }
        patchUpload(u.localId, { problem: reasonOf(err) });
      }
    },
    [consultId, patchUpload],
  );

  /** Starts sending each file (the same rules as chat: PROTOCOL §3 must allow sending). */
  const send = useCallback(
    (files: Iterable<File>) => {
      setNotice(undefined);
      if (opts.current.chat.block) {
        setNotice("Documents can be sent once chat is open (see the chat panel).");
        return;
      }
      for (const file of files) {
        if (file.size > opts.current.maxFileBytes) {
          setNotice(`${file.name} is ${formatBytes(file.size)}: this clinic accepts documents up to ${formatBytes(opts.current.maxFileBytes)}.`);
          continue;
        }
        const u: Upload = { localId: crypto.randomUUID(), file, controller: new AbortController(), sent: 0, total: file.size, at: Date.now() };
        setUploads((list) => [...list, u]);
        void start(u);
      }
    },
    [start],
  );

  const cancel = useCallback((localId: string) => {
    setUploads((list) => {
      const u = list.find((x) => x.localId === localId);
      u?.controller.abort(new DOMException("Cancelled", "AbortError"));
      return list.filter((x) => x.localId !== localId);
    });
  }, []);

  /** A failed upload goes again from the start: a new key and file id (PROTOCOL §5). */
  const retry = useCallback(
    (localId: string) => {
      const old = uploads.find((x) => x.localId === localId);
      if (!old) return;
      const u: Upload = { ...old, fileId: undefined, controller: new AbortController(), sent: 0, problem: undefined };
      setUploads((list) => list.map((x) => (x.localId === localId ? u : x)));
      void start(u);
    },
    [uploads, start],
  );

  // ---- receiving ----
  const notices = useMemo(() => {
    const m = new Map<string, { item: ChatMessageItem; file: FileNotice }>();
    for (const i of chat.items) if (i.type === "message" && i.file) m.set(bytesToUuid(i.file.fileId), { item: i, file: i.file });
    return m;
  }, [chat.items]);

  const setDownload = useCallback((id: string, d: Download | undefined) => {
    setDownloads((m) => {
      const next = new Map(m);
      if (d) next.set(id, d);
      else next.delete(id);
      return next;
    });
  }, []);

  const download = useCallback(
    async (id: string) => {
      const n = notices.get(id);
      if (!n) return;
      const controller = new AbortController();
      setDownload(id, { progress: 0, controller });
      try {
        const target = await openSaveTarget(n.file.name, n.file.type, n.file.size);
        const shown = throttleProgress((received, total) => setDownload(id, { progress: received / total, controller }));
        await downloadFile({ consultId, notice: n.file, sink: target.writable, signal: controller.signal, onProgress: (p) => shown(p.received, p.total) });
        setDownload(id, undefined);
      } catch (err) {
        setDownload(id, { progress: 0, problem: err instanceof DownloadError || err instanceof ClientApiError ? err.message : reasonOf(err) });
      }
    },
    [notices, consultId, setDownload],
  );

  /** Decrypts an image or PDF into memory for the room's preview; the caller revokes the URL. */
  const preview = useCallback(
    async (id: string): Promise<{ url: string; type: string; name: string } | undefined> => {
      const n = notices.get(id);
      if (!n || !PREVIEW_TYPES.test(n.file.type) || n.file.size > PREVIEW_MAX_BYTES) return undefined;
      const controller = new AbortController();
      setDownload(id, { progress: 0, controller });
      try {
        const shown = throttleProgress((received, total) => setDownload(id, { progress: received / total, controller }));
        const blob = await downloadToBlob({ consultId, notice: n.file, signal: controller.signal, onProgress: (p) => shown(p.received, p.total) });
        setDownload(id, undefined);
        return { url: URL.createObjectURL(blob), type: n.file.type, name: n.file.name };
      } catch (err) {
        setDownload(id, { progress: 0, problem: reasonOf(err) });
        return undefined;
      }
    },
    [notices, consultId, setDownload],
  );

  const stopDownload = useCallback((id: string) => downloads.get(id)?.controller?.abort(new DOMException("Cancelled", "AbortError")), [downloads]);

  // ---- what the panel shows ----
  const items: DocumentItem[] = useMemo(() => {
    const out: DocumentItem[] = [];
    for (const [id, { item, file }] of notices) {
      const s = server?.get(id);
      const d = downloads.get(id);
      const gone = server !== undefined && !s;
      const state: DocumentState = gone || s?.status === "failed" || s?.status === "aborted" ? "failed" : "ready";
      out.push({
        id,
        name: file.name,
        type: file.type,
        size: file.size,
        senderUserId: item.senderUserId,
        mine: item.mine,
        at: item.at,
        state,
        progress: d && !d.problem ? d.progress : undefined,
        downloading: !!d && !d.problem,
        problem: gone ? "This document was removed from the server." : d?.problem,
        canPreview: state === "ready" && PREVIEW_TYPES.test(file.type) && file.size <= PREVIEW_MAX_BYTES,
        senderVerified: item.senderVerified,
      });
    }
    for (const u of uploads) {
      if (u.fileId && notices.has(u.fileId)) continue;
      out.push({
        id: u.localId,
        name: u.file.name,
        type: u.file.type,
        size: u.file.size,
        senderUserId: o.userId,
        mine: true,
        at: u.at,
        state: u.problem ? "failed" : "uploading",
        progress: u.total > 0 ? u.sent / u.total : 0,
        downloading: false,
        problem: u.problem,
        canPreview: false,
        senderVerified: true,
      });
    }
    return out.sort((a, b) => a.at - b.at);
  }, [notices, server, downloads, uploads, o.userId]);

  /** Documents the other side is uploading right now (sizes only: the name arrives with the notice). */
  const incoming = useMemo(() => {
    if (!server) return [];
    return [...server.values()].filter((f) => f.status === "uploading" && f.uploaderParticipantId !== o.myParticipantId);
  }, [server, o.myParticipantId]);

  const uploadIds = useMemo(() => new Set(uploads.map((u) => u.localId)), [uploads]);

  return {
    items,
    incoming,
    notice,
    /** why sending is not possible right now (the chat's reason), if it is not */
    blocked: !!chat.block,
    maxFileBytes: o.maxFileBytes,
    send,
    cancel,
    retry,
    isLocalUpload: (id: string) => uploadIds.has(id),
    download,
    stopDownload,
    preview,
  };
}

export type FilesView = ReturnType<typeof useFiles>;
