"use client";

import { useEffect, useRef, useState } from "react";
import { ClientApiError } from "@/lib/client/api";
import { openRecord, recordDocument, recordList, SheetRefused, unlockSheet, type OpenedRecord } from "@/lib/client/records";
import { saveBlob } from "@/lib/client/files/save-file";
import { formatBytes } from "@/lib/client/chat/message-body";
import type { BoxKey } from "@/lib/crypto";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";

type Summary = Awaited<ReturnType<typeof recordList>>["consults"][number];

function problem(err: unknown): string {
  if (err instanceof SheetRefused || err instanceof ClientApiError) return err.message;
  console.warn("[parley] records:", err);
  return "Something went wrong in this browser. Reload the page and try again.";
}

const when = (ms: number | string) => new Date(ms).toLocaleString();

/**
 * An admin reads consult records with the recovery sheet (PROTOCOL §7.4): the words unlock the
 * records key in this page only (never stored), then each record opens read-only, decrypted here.
 * The server records every record opened and every document fetched.
 */
export function RecordsReader() {
  const key = useRef<BoxKey | undefined>(undefined);
  const [unlocked, setUnlocked] = useState(false);
  const [words, setWords] = useState("");
  const [consults, setConsults] = useState<Summary[]>();
  const [record, setRecord] = useState<OpenedRecord>();
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    let live = true;
    recordList().then(
      (r) => live && setConsults(r.consults),
      (err: unknown) => live && setError(problem(err)),
    );
    return () => {
      live = false;
    };
  }, []);

  async function act(what: string, fn: () => Promise<void>) {
    setError(undefined);
    setBusy(what);
    try {
      await fn();
    } catch (err) {
      setError(problem(err));
    } finally {
      setBusy(undefined);
    }
  }

  const unlock = (e: React.FormEvent) => {
    e.preventDefault();
    void act("Checking the words…", async () => {
      key.current = await unlockSheet(words);
      setWords("");
      setUnlocked(true);
    });
  };

  const open = (id: string) =>
    void act("Opening the record…", async () => {
      if (!key.current) return;
      setRecord(await openRecord(id, key.current));
    });

  const download = (r: OpenedRecord, d: OpenedRecord["documents"][number]) =>
    void act(`Fetching ${d.notice.name}…`, async () => {
      const blob = await recordDocument(r.consult.id, d.notice, (p) => setBusy(`Fetching ${d.notice.name}: ${Math.round((100 * p.received) / Math.max(1, p.total))}%`));
      saveBlob(blob, d.notice.name);
    });

  return (
    <div className="space-y-4 px-5 py-4 text-sm" data-testid="records-reader" data-state={unlocked ? "unlocked" : "locked"}>
      {error && <Alert>{error}</Alert>}
      {busy && (
        <p role="status" className="text-slate-700" data-testid="records-busy">
          {busy}
        </p>
      )}
      {!unlocked && (
        <form onSubmit={unlock} className="space-y-2">
          <p className="text-slate-600">Type the 24 words of the records key sheet. They stay in this page: nothing of them is sent to the server, and closing the page forgets them.</p>
          <textarea
            data-testid="records-sheet-input"
            value={words}
            onChange={(e) => setWords(e.target.value)}
            rows={3}
            autoComplete="off"
            spellCheck={false}
            aria-label="The 24 words of the records key sheet"
            className="w-full rounded-xl border border-slate-300 px-3 py-2 font-mono"
          />
          <Button data-testid="records-unlock" type="submit" disabled={!!busy || words.trim().length === 0}>
            Unlock
          </Button>
        </form>
      )}
      <table className="w-full text-left" data-testid="record-list">
        <thead className="text-slate-500">
          <tr>
            <th className="py-1 font-medium">Scheduled</th>
            <th className="py-1 font-medium">Doctor</th>
            <th className="py-1 font-medium">State</th>
            <th className="py-1 font-medium">Messages</th>
            <th className="py-1 font-medium">Documents</th>
            <th />
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {consults?.map((c) => (
            <tr key={c.id} data-testid="record-row" data-consult-id={c.id}>
              <td className="py-1">{when(c.scheduledAt)}</td>
              <td className="py-1">{c.doctor}</td>
              <td className="py-1">{c.status}</td>
              <td className="py-1">{c.messages}</td>
              <td className="py-1">{c.documents}</td>
              <td className="py-1 text-right">
                <Button data-testid="record-open" variant="secondary" disabled={!unlocked || !!busy} onClick={() => open(c.id)}>
                  Open record
                </Button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {record && (
        <section className="space-y-3 rounded-xl border border-slate-200 p-4" data-testid="record-view" data-consult-id={record.consult.id}>
          <h3 className="font-semibold">
            Consult with {record.consult.doctor}, {when(record.consult.scheduledAt)}
          </h3>
          <p className="text-slate-600" data-testid="record-readonly">
            Read only, decrypted in this browser with the records key. Opening it was recorded in the audit log.
          </p>
          {record.keys === 0 && <Alert tone="warning">No key of this consult was encrypted to the records key: it was made before the clinic had one, or on a device that never met it.</Alert>}
          <ol className="space-y-2">
            {record.items.map((i) =>
              i.type === "message" ? (
                <li key={i.id} data-testid="record-message" data-state={i.state} className="rounded-lg bg-slate-50 px-3 py-2">
                  <p className="text-xs text-slate-500">
                    {when(i.at)}
                    {i.senderVerified ? "" : " · sender not verified"}
                  </p>
                  <p className="whitespace-pre-wrap">{i.body ?? i.problem ?? "This message could not be opened."}</p>
                </li>
              ) : (
                <li key={i.id} className="text-xs text-amber-800">
                  Messages {i.from}–{i.to} of one sender are missing from the server.
                </li>
              ),
            )}
          </ol>
          <h4 className="font-medium">Documents</h4>
          <ul className="space-y-1">
            {record.documents.map((d) => (
              <li key={`${d.notice.name}-${d.at}`} data-testid="record-document" className="flex items-center justify-between gap-2">
                <span>
                  {d.notice.name} ({formatBytes(Number(d.notice.size))})
                </span>
                <Button data-testid="record-document-download" variant="secondary" disabled={!!busy} onClick={() => download(record, d)}>
                  Download
                </Button>
              </li>
            ))}
            {record.documents.length === 0 && <li className="text-slate-500">No documents.</li>}
          </ul>
        </section>
      )}
    </div>
  );
}
