"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { joinWithInvite } from "@/lib/client/session";
import { sealNameForLink, useNameSealing } from "@/lib/client/patient-names";
import { displayName } from "@/lib/shared/api";
import { useMediaPreview } from "@/lib/client/media-preview";
import { Button } from "../ui/button";
import { Alert } from "../ui/alert";
import { MediaCheck } from "./media-check";

const JOIN_ERRORS: Record<string, string> = {
  used: "This invite link has already been used. If that was you on another device, ask your clinic for a new link.",
  expired: "This invite link has expired. Ask your clinic for a new one.",
  revoked: "This invite link was withdrawn by your clinic. Ask them for a new one.",
  ended: "This consult has ended.",
  invalid: "Enter your name (at most 80 characters).",
  network: "Could not reach the clinic's server. Check your connection and try again.",
};

export function JoinForm({ token, consultId, inviteId, doctorName, clinicKeepsRecord }: { token: string; consultId: string; inviteId: string; doctorName: string; clinicKeepsRecord: boolean }) {
  const router = useRouter();
  const preview = useMediaPreview();
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  // The link's fragment carries the key the name is sealed to; a link that lost it sends no name.
  const sealing = useNameSealing();
  const { start } = preview;

  useEffect(() => {
    void start();
  }, [start]);

  async function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const parsed = displayName.safeParse(name);
    if (!parsed.success) {
      setError(JOIN_ERRORS.invalid);
      setBusy(false);
      return;
    }
    let sealed: string | undefined;
    try {
      sealed = await sealNameForLink(window.location.hash, parsed.data, consultId, inviteId);
    } catch {
      sealed = undefined; // a fragment that is not a key: the name stays here, as with none
    }
    const r = await joinWithInvite(token, sealed);
    if (r.ok) {
      router.replace(`/consults/${consultId}`);
      router.refresh();
    } else {
      setError(JOIN_ERRORS[r.code] ?? "This invite link could not be used. Ask your clinic for a new one.");
      setBusy(false);
    }
  }

  return (
    <form onSubmit={onSubmit} className="space-y-6">
      {/* The heading first: on a phone the patient reads what this page is before their own face. */}
      <div>
        <h1 className="text-xl font-semibold">Join your consult with {doctorName}</h1>
        <p className="text-sm text-slate-600">Check your camera and microphone, enter your name, and join. You will wait in the waiting room until you are let in.</p>
      </div>
      <div className="grid gap-6 md:grid-cols-2">
        <MediaCheck preview={preview} />
        <div className="space-y-4">
          <label className="block">
            <span className="mb-1 block text-sm font-medium">Your name</span>
            <input
              data-testid="guest-name"
              name="name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              maxLength={80}
              autoComplete="name"
              required
              className="w-full rounded-xl border border-slate-300 px-3 py-3 text-base"
            />
          </label>
          <p className="text-xs text-slate-500" data-testid="name-privacy" data-state={sealing === undefined || sealing === "sealed" ? "sealed" : "unsealed"}>
            {sealing === "no-fragment"
              ? "This link is missing its last part, so your name stays on this device: tell your doctor your name in the call."
              : sealing === "no-crypto"
                ? "This page is not secure (it needs HTTPS), so your name cannot be encrypted and stays on this device: tell your doctor your name in the call."
                : clinicKeepsRecord
                  ? "Only your doctor, and your clinic's encrypted record, can read your name: it is encrypted before it leaves this page."
                  : "Only your doctor's device can read your name: it is encrypted before it leaves this page."}
          </p>
          {clinicKeepsRecord && (
            <p className="text-xs text-slate-500" data-testid="records-notice">
              Your clinic keeps an encrypted record of this consult (chat and documents) that only it can open, with a key the server does not have.
            </p>
          )}
          {error && <Alert>{error}</Alert>}
          <Button data-testid="join" type="submit" disabled={busy || name.trim() === ""} className="w-full py-3 text-base">
            {busy ? "Joining…" : "Join the waiting room"}
          </Button>
          <p className="text-xs text-slate-500">Your video goes directly to your doctor. Chat and documents are end-to-end encrypted.</p>
        </div>
      </div>
    </form>
  );
}
