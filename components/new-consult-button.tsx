"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { consultActions } from "@/lib/client/consults";
import { ClientApiError } from "@/lib/client/api";
import { Button } from "./ui/button";
import { Alert } from "./ui/alert";

export function NewConsultButton() {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  async function start() {
    setBusy(true);
    setError(undefined);
    try {
      const { id } = await consultActions.create();
      router.push(`/consults/${id}`);
    } catch (err) {
      setError(err instanceof ClientApiError ? err.message : "Could not start a consult. Try again.");
      setBusy(false);
    }
  }

  return (
    <div className="flex flex-col items-end gap-2">
      <Button data-testid="new-consult" onClick={start} disabled={busy}>
        {busy ? "Opening room…" : "New consult"}
      </Button>
      {error && <Alert>{error}</Alert>}
    </div>
  );
}
