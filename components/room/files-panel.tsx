"use client";
// The room's documents: drop files or pick them (any type, up to the clinic's limit), see each
// upload's progress and cancel it, and download or preview what was shared — each decrypted on
// this device. Everything it shows comes from lib/client/files/file-transfers.ts; it holds no crypto
// or I/O.
import { memo, useEffect, useRef, useState, type DragEvent } from "react";
import type { DocumentItem } from "@/lib/client/files/document-items";
import { useFilesView } from "@/lib/client/room/use-room-runtime";
import type { RoomRuntime } from "@/lib/client/room/room-runtime";
import { formatBytes } from "@/lib/client/chat/message-body";
import { Button } from "../ui/button";

/** `runtime`: the documents are read here, not in the room, so a change re-renders this panel only */
type Props = { runtime: RoomRuntime; nameOf: (userId: string) => string; otherName: string | undefined; canSend: boolean };

type Preview = { url: string; type: string; name: string };

const time = (ms: number) => new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

export const FilesPanel = memo(function FilesPanel({ runtime, nameOf, otherName, canSend }: Props) {
  const files = useFilesView(runtime);
  const input = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);
  const [preview, setPreview] = useState<Preview>();
  useEffect(() => () => (preview ? URL.revokeObjectURL(preview.url) : undefined), [preview]);

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    if (canSend && e.dataTransfer.files.length > 0) files.send(Array.from(e.dataTransfer.files));
  };

  return (
    <section className="rounded-2xl border border-slate-200 bg-white" aria-label="Documents">
      <header className="border-b border-slate-100 px-4 py-3">
        <h2 className="font-semibold">Documents</h2>
        <p className="text-xs text-slate-500">Encrypted on your device before upload: the server and its storage never see a document, its name or its type.</p>
      </header>

      {canSend && (
        <div
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
          className={`m-4 flex flex-col items-center gap-2 rounded-xl border-2 border-dashed px-4 py-5 text-center text-sm ${dragging ? "border-brand-500 bg-brand-50" : "border-slate-300"}`}
        >
          <p className="text-slate-600">Drop lab results, photos or PDFs here, up to {formatBytes(files.maxFileBytes)} each.</p>
          <label className="inline-flex min-h-11 cursor-pointer items-center rounded-xl bg-brand-600 px-4 font-medium text-white hover:bg-brand-700 focus-within:ring-2 focus-within:ring-brand-500">
            Choose files
            <input
              ref={input}
              data-testid="file-input"
              type="file"
              multiple
              className="sr-only"
              disabled={files.blocked}
              onChange={(e) => {
                if (e.target.files) files.send(Array.from(e.target.files));
                e.target.value = "";
              }}
            />
          </label>
          {files.blocked && <p className="text-xs text-slate-500">Documents can be sent once chat is open.</p>}
        </div>
      )}
      {files.notice && (
        <p role="alert" className="mx-4 mb-2 rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-900">
          {files.notice}
        </p>
      )}

      {files.incoming.length > 0 && (
        <p data-testid="file-incoming" className="px-4 pb-2 text-sm text-slate-600" aria-live="polite">
          {otherName ?? "The other side"} is sending {files.incoming.length === 1 ? "a document" : `${files.incoming.length} documents`} ({files.incoming.map((f) => formatBytes(f.size)).join(", ")})…
        </p>
      )}

      <ul className="space-y-2 px-4 pb-4">
        {files.items.length === 0 && <li className="text-sm text-slate-500">No documents yet.</li>}
        {files.items.map((d) => (
          <DocumentRow
            key={d.id}
            item={d}
            sender={d.mine ? "You" : nameOf(d.senderUserId)}
            local={files.isLocalUpload(d.id)}
            onCancel={() => files.cancel(d.id)}
            onRetry={() => files.retry(d.id)}
            onDownload={() => void files.download(d.id)}
            onStop={() => files.stopDownload(d.id)}
            onPreview={() => void files.preview(d.id).then((p) => p && setPreview(p))}
          />
        ))}
      </ul>

      {preview && (
        <div role="dialog" aria-modal="true" aria-label={`Preview of ${preview.name}`} className="fixed inset-0 z-50 flex flex-col bg-slate-900/80 p-4" data-testid="file-preview">
          <div className="mb-2 flex items-center justify-between gap-2 text-white">
            <span className="truncate font-medium">{preview.name}</span>
            <Button variant="secondary" onClick={() => setPreview(undefined)} autoFocus>
              Close
            </Button>
          </div>
          <div className="flex flex-1 items-center justify-center overflow-auto rounded-xl bg-white">
            {preview.type === "application/pdf" ? (
              <iframe src={preview.url} title={preview.name} className="h-full w-full" />
            ) : (
              // eslint-disable-next-line @next/next/no-img-element -- a decrypted blob: URL, not an optimisable asset
              <img src={preview.url} alt={preview.name} className="max-h-full max-w-full object-contain" />
            )}
          </div>
        </div>
      )}
    </section>
  );
});

type RowProps = {
  item: DocumentItem;
  sender: string;
  local: boolean;
  onCancel: () => void;
  onRetry: () => void;
  onDownload: () => void;
  onStop: () => void;
  onPreview: () => void;
};

function DocumentRow({ item: d, sender, local, onCancel, onRetry, onDownload, onStop, onPreview }: RowProps) {
  const pct = d.progress === undefined ? undefined : Math.round(d.progress * 100);
  return (
    <li data-testid="file-item" data-state={d.state} className="rounded-xl border border-slate-200 px-3 py-2">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <div className="min-w-0">
          <p className="truncate font-medium" title={d.name}>
            {d.name}
          </p>
          <p className="text-xs text-slate-500">
            {formatBytes(d.size)} · {sender} · {time(d.at)}
            {!d.senderVerified && " · sender not verified"}
          </p>
        </div>
        <div className="flex flex-wrap gap-2">
          {d.state === "uploading" && local && (
            <Button variant="secondary" onClick={onCancel}>
              Cancel
            </Button>
          )}
          {d.state === "failed" && local && (
            <Button variant="secondary" onClick={onRetry}>
              Try again
            </Button>
          )}
          {d.canPreview && (
            <Button variant="secondary" onClick={onPreview} disabled={d.downloading}>
              Preview
            </Button>
          )}
          {!local &&
            (d.downloading ? (
              <Button variant="secondary" onClick={onStop}>
                Stop
              </Button>
            ) : (
              <Button data-testid="file-download" onClick={onDownload} disabled={d.state !== "ready"}>
                Download
              </Button>
            ))}
        </div>
      </div>
      {pct !== undefined && (
        <div className="mt-2 flex items-center gap-2 text-xs text-slate-600">
          <progress
            data-testid={d.state === "uploading" ? "upload-progress" : "download-progress"}
            value={pct}
            max={100}
            className="h-2 flex-1"
            aria-label={d.state === "uploading" ? `Uploading ${d.name}` : `Downloading ${d.name}`}
          />
          <span>
            {d.state === "uploading" ? "Encrypting and uploading" : "Downloading and decrypting"} {pct}%
          </span>
        </div>
      )}
      {d.problem && (
        <p role="alert" className="mt-1 text-sm text-red-800">
          {d.problem}
        </p>
      )}
    </li>
  );
}
