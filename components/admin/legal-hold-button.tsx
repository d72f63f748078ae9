"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { legalHoldApi } from "@/lib/client/admin";
import { ClientApiError } from "@/lib/client/api";
import { Button } from "../ui/button";

/** Places or releases a consult's legal hold; asks for the reason first. The page re-renders after. */
export function LegalHoldButton({ consultId, held }: { consultId: string; held: boolean }) {
  const router = useRouter();
  const [asking, setAsking] = useState(false);
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  async function act(fn: () => Promise<unknown>) {
    setBusy(true);
    setError(undefined);
    try {
      await fn();
      setAsking(false);
      setReason("");
      router.refresh();
    } catch (err) {
      setError(err instanceof ClientApiError ? err.message : "That did not work. Try again.");
    } finally {
      setBusy(false);
    }
  }

  if (held) {
    return (
      <span className="inline-flex flex-col gap-1">
        <Button variant="secondary" className="min-h-9 py-1" disabled={busy} onClick={() => void act(() => legalHoldApi.release(consultId))} data-testid="hold-release">
          Release hold
        </Button>
        {error ? <span className="text-xs text-red-700">{error}</span> : null}
      </span>
    );
  }
  if (!asking) {
    return (
      <Button variant="secondary" className="min-h-9 py-1" onClick={() => setAsking(true)} data-testid="hold-place">
        Place hold
      </Button>
    );
  }
  return (
    <form
      className="flex flex-col gap-1"
      onSubmit={(e) => {
        e.preventDefault();
        void act(() => legalHoldApi.place(consultId, reason));
      }}
    >
      <label className="text-xs text-slate-600">
        Why (a case or request, not patient details)
        <input value={reason} onChange={(e) => setReason(e.target.value)} className="mt-1 block w-56 rounded-lg border border-slate-300 px-2 py-1 text-sm" data-testid="hold-reason" autoFocus />
      </label>
      <span className="flex gap-2">
        <Button type="submit" className="min-h-9 py-1" disabled={busy || reason.trim().length < 3} data-testid="hold-confirm">
          Hold
        </Button>
        <Button variant="secondary" className="min-h-9 py-1" onClick={() => setAsking(false)}>
          Cancel
        </Button>
      </span>
      {error ? <span className="text-xs text-red-700">{error}</span> : null}
    </form>
  );
}
