"use client";

import { RESTARTS_SHOWN, type E2ee } from "@/lib/rtc/call";
import { Button } from "../ui/button";

const WHAT: Record<E2ee["status"], string> = {
  handshaking: "Setting up end-to-end encryption…",
  unverified: "Encrypted, not yet verified",
  verified: "Verified: end-to-end encrypted with the person you see",
  mismatch: "The codes did not match: the call was ended",
  "key-changed": "Their security key has changed",
};

/** What is still missing before the call counts as verified, in plain words. */
function missing(e: E2ee, otherName: string): string | undefined {
  if (e.status !== "unverified") return undefined;
  if (!e.confirmedByMe) return `Read the code aloud with ${otherName}. If you both see the same numbers, press “The codes match”.`;
  if (!e.confirmedByPeer) return `Waiting for ${otherName} to confirm the code on their side.`;
  if (!e.dtlsChecked) return "Checking that the video connection uses the verified keys…";
  return undefined;
}

type Props = { e2ee: E2ee; otherName: string; safetyNumber: string | undefined; onConfirm: () => void; onMismatch: () => void; onAcknowledge: () => void };

export function E2eePanel(props: Props) {
  return (
    <>
      {props.e2ee.status === "verified" ? <VerifiedLine {...props} /> : <VerificationSteps {...props} />}
      {props.e2ee.restarts >= RESTARTS_SHOWN && <RestartsNotice restarts={props.e2ee.restarts} />}
    </>
  );
}

/** Many restarts in one call: normal after reloads, but also what a server trying call codes does. */
function RestartsNotice({ restarts }: { restarts: number }) {
  return (
    <p data-testid="e2ee-restarts" data-count={restarts} role="status" className="rounded-2xl border border-amber-300 bg-amber-50 px-4 py-2 text-sm text-amber-950">
      The encrypted connection has been set up again {restarts} times in this call. Reloads and network drops do this; so does a server trying to get a matching code by chance. Compare the whole code
      aloud before you confirm, and end the call if it keeps happening.
    </p>
  );
}

/** Once verified, one line: the doctor's eyes stay on the patient, the details one click away. */
function VerifiedLine({ e2ee, otherName, safetyNumber }: Props) {
  return (
    <section className="flex flex-wrap items-center gap-x-3 gap-y-1 rounded-2xl border border-emerald-200 bg-emerald-50 px-4 py-2 text-sm text-emerald-950">
      <span data-testid="e2ee-status" data-state={e2ee.status} className="font-medium" title={`End-to-end encrypted with ${otherName}: you compared the call code.`}>
        ✓ Verified
      </span>
      {e2ee.code && (
        <span className="text-emerald-900">
          code{" "}
          <span data-testid="call-code" className="font-mono tracking-widest">
            {e2ee.code}
          </span>
        </span>
      )}
      <span className="text-emerald-900" data-testid="consult-key" data-state={e2ee.consultKeyEpoch === undefined ? "missing" : "held"}>
        {e2ee.consultKeyEpoch === undefined ? "chat unlocks in a moment" : `chat and documents unlocked (epoch ${e2ee.consultKeyEpoch})`}
      </span>
      {safetyNumber && (
        <details className="basis-full text-emerald-900 sm:ml-auto sm:basis-auto">
          <summary className="cursor-pointer">Safety number</summary>
          <p className="mt-1">Compare these 60 digits with {otherName} another way (in person, by phone) to verify their device without a call code.</p>
          <p data-testid="safety-number" className="mt-1 font-mono tracking-wide">
            {safetyNumber}
          </p>
        </details>
      )}
    </section>
  );
}

function VerificationSteps({ e2ee, otherName, safetyNumber, onConfirm, onMismatch, onAcknowledge }: Props) {
  const tone =
    e2ee.status === "verified"
      ? "border-emerald-200 bg-emerald-50 text-emerald-950"
      : e2ee.status === "mismatch" || e2ee.status === "key-changed"
        ? "border-red-200 bg-red-50 text-red-900"
        : "border-slate-200 bg-white";
  const hint = missing(e2ee, otherName);
  return (
    <section className={`space-y-3 rounded-2xl border p-4 ${tone}`}>
      <p className="text-sm font-medium">
        <span data-testid="e2ee-status" data-state={e2ee.status}>
          {WHAT[e2ee.status]}
        </span>
      </p>
      {e2ee.status === "key-changed" && (
        <div data-testid="key-warning" className="space-y-2 text-sm">
          <p>
            {otherName} is using a different security key than the one this device saw last, for them or for whoever had their place in this consult. That happens when they use a new device or
            browser, when another person took that place — or when someone is trying to listen in. Compare the code below with them on the video before you discuss anything.
          </p>
          <Button variant="secondary" onClick={onAcknowledge}>
            I understand, compare the code
          </Button>
        </div>
      )}
      {e2ee.code && e2ee.status !== "mismatch" && (
        <div className="flex flex-wrap items-center gap-3">
          <span className="text-sm text-slate-600">Call code</span>
          <span data-testid="call-code" className="rounded-lg bg-slate-900 px-3 py-1.5 font-mono text-lg tracking-widest text-white">
            {e2ee.code}
          </span>
        </div>
      )}
      {hint && <p className="text-sm text-slate-700">{hint}</p>}
      {e2ee.status !== "mismatch" && (
        <p className="text-sm text-slate-600" data-testid="consult-key" data-state={e2ee.consultKeyEpoch === undefined ? "missing" : "held"}>
          {e2ee.consultKeyEpoch === undefined ? "Chat and documents unlock once the call is verified." : `Chat and documents are unlocked on this device (consult key, epoch ${e2ee.consultKeyEpoch}).`}
        </p>
      )}
      {safetyNumber && (
        <details className="text-sm text-slate-600">
          <summary className="cursor-pointer">Safety number with {otherName}</summary>
          <p className="mt-2">Compare these 60 digits with {otherName} another way (in person, by phone) to verify their device without a call code.</p>
          <p data-testid="safety-number" className="mt-1 font-mono tracking-wide">
            {safetyNumber}
          </p>
        </details>
      )}
      {(e2ee.status === "unverified" || e2ee.status === "handshaking" || e2ee.status === "key-changed") && (
        <div className="flex flex-wrap gap-2">
          <Button data-testid="verify-confirm" onClick={onConfirm} disabled={!e2ee.code || e2ee.status !== "unverified" || e2ee.confirmedByMe}>
            {e2ee.confirmedByMe ? "Confirmed" : "The codes match"}
          </Button>
          <Button variant="secondary" onClick={onMismatch} disabled={!e2ee.code}>
            The codes differ
          </Button>
        </div>
      )}
    </section>
  );
}
