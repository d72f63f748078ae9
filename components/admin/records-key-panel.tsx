"use client";

import { useEffect, useState } from "react";
import { ClientApiError } from "@/lib/client/api";
import { makeRecordsKey, recordsKeyView, type RecordsKeyView } from "@/lib/client/records";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";

type Made = Awaited<ReturnType<typeof makeRecordsKey>>;

/**
 * The clinic's records key (PROTOCOL §7.4): made in this browser, its private half shown once as a
 * sheet of 24 words to print and keep; only the public half goes to the server.
 */
export function RecordsKeyPanel({ enabled }: { enabled: boolean }) {
  const [current, setCurrent] = useState<RecordsKeyView | null>();
  const [made, setMade] = useState<Made>();
  const [kept, setKept] = useState(false);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!enabled) return;
    let live = true;
    recordsKeyView().then(
      (k) => live && setCurrent(k),
      () => live && setError("Could not read the clinic's records key. Reload the page."),
    );
    return () => {
      live = false;
    };
  }, [enabled]);

  async function make() {
    setError(undefined);
    setMade(await makeRecordsKey());
    setKept(false);
  }

  async function save() {
    if (!made) return;
    setBusy(true);
    try {
      setCurrent(await made.save());
      setMade(undefined); // the words leave this page: the printed sheet is the only copy
    } catch (err) {
      setError(err instanceof ClientApiError ? err.message : "The records key could not be saved. Try again.");
    } finally {
      setBusy(false);
    }
  }

  if (!enabled) {
    return (
      <p className="px-5 py-4 text-sm text-slate-600" data-testid="records-key" data-state="off">
        This clinic keeps no records key (RECORDS_KEY=off): a consult&apos;s record opens only on its doctor&apos;s devices and key backup.
      </p>
    );
  }
  return (
    <div className="space-y-3 px-5 py-4 text-sm" data-testid="records-key" data-state={current === undefined ? "loading" : current ? "on" : made ? "sheet" : "missing"}>
      <p className="text-slate-600">
        Every consult&apos;s chat and documents are also encrypted to the clinic&apos;s records key, so the clinic can keep its records when a doctor leaves or loses their devices. Its private half
        exists only on a printed recovery sheet: the server cannot read any record with what it holds. Keep the sheet in a safe; whoever has it can read every consult.
      </p>
      {error && <Alert>{error}</Alert>}
      {current && (
        <p>
          Records key in use since {new Date(current.createdAt).toLocaleDateString()}, fingerprint{" "}
          <span className="font-mono" data-testid="records-fingerprint">
            {current.fingerprint}
          </span>
          . <a href="/admin/records">Read a consult&apos;s record with the sheet</a>.
        </p>
      )}
      {current === null && !made && (
        <>
          <Alert tone="warning">The clinic has no records key yet: until one is made, a consult&apos;s record opens only on its doctor&apos;s devices and key backup.</Alert>
          <Button data-testid="records-key-make" onClick={() => void make()}>
            Make the records key
          </Button>
        </>
      )}
      {made && (
        <div className="space-y-3 rounded-xl border-2 border-slate-800 p-4 print:border-0" data-testid="records-sheet">
          <h3 className="text-lg font-semibold">Parley records key: recovery sheet</h3>
          <p>
            Fingerprint (check it matches the admin page):{" "}
            <span className="font-mono" data-testid="records-sheet-fingerprint">
              {made.fingerprint}
            </span>
          </p>
          <ol className="grid grid-cols-2 gap-x-6 gap-y-1 font-mono sm:grid-cols-4" data-testid="records-sheet-words">
            {made.words.map((w, i) => (
              <li key={i}>
                {i + 1}. {w}
              </li>
            ))}
          </ol>
          <p className="text-slate-600">The last word carries a checksum: a mistyped word is caught when the sheet is used. This is the only time these words are shown.</p>
          <div className="flex flex-wrap items-center gap-3 print:hidden">
            <Button variant="secondary" onClick={() => window.print()}>
              Print
            </Button>
            <label className="flex items-center gap-2">
              <input type="checkbox" data-testid="records-sheet-kept" checked={kept} onChange={(e) => setKept(e.target.checked)} />I have printed or written down the 24 words
            </label>
            <Button data-testid="records-key-save" disabled={!kept || busy} onClick={() => void save()}>
              Use this records key
            </Button>
          </div>
        </div>
      )}
    </div>
  );
}
