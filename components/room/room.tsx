"use client";

import Link from "next/link";
import { useCallback, useMemo, useRef, useState } from "react";
import type { RoomSnapshot } from "@/lib/shared/api";
import type { ClientSettings } from "@/lib/shared/settings";
import { IdleLogoff } from "../idle-logoff";
import type { CallSnapshot, CallState } from "@/lib/rtc/call";
import { useCallView, useChatShown, useFilesShown, useRoomRuntime, useRoomView, useRuntimeInputs } from "@/lib/client/room/use-room-runtime";
import { peopleOf, roomFacts } from "@/lib/client/room/room-facts";
import { saveDeviceChoice, savedDeviceChoice, useLocalMedia, useMediaElement, type MediaProblem } from "@/lib/client/local-media";
import { useScreenShare } from "@/lib/client/screen-share";
import { useConnectionCheck, type CheckResult } from "@/lib/client/connection-check";
import { DevicesPanel } from "./devices-panel";
import { useDeviceIdentity, useFingerprint, useSafetyNumber } from "@/lib/client/device-identity";
import { useRecordsNotice, type RecordsNotice } from "@/lib/client/records";
import { Button } from "../ui/button";
import { Alert } from "../ui/alert";
import { InvitePanel } from "./invite-panel";
import { CallView } from "./call-view";
import { E2eePanel } from "./e2ee-panel";
import { ChatPanel } from "./chat-panel";
import { FilesPanel } from "./files-panel";

const MEDIA_PROBLEMS: Record<MediaProblem, string> = {
  denied: "Your browser is not letting Parley use your camera and microphone, so the other side cannot see or hear you. Allow them in the address bar's site settings and reload the page.",
  "no-device": "No camera or microphone was found: the other side cannot see or hear you, but you can see and hear them.",
  "in-use": "Your camera or microphone is used by another app. Close it and reload the page.",
  insecure: "This page is not secure (it needs HTTPS), so the browser blocks the camera and microphone. Ask your clinic for an https:// link.",
  error: "Your camera or microphone could not be started. Reload the page to try again.",
};

function callText(snapshot: CallSnapshot, otherName: string | undefined): string {
  const who = otherName ?? "The other side";
  switch (snapshot.state) {
    case "waiting":
      return `Waiting for ${otherName ?? "the other side"} to join the call`;
    case "connecting":
      return "Connecting the call…";
    case "connected":
      return `In the call with ${who}`;
    case "reconnecting":
      return "The connection dropped — reconnecting…";
    case "failed":
      switch (snapshot.problem) {
        case "timeout":
          return "The call could not connect. A firewall or network may be blocking it: press Retry, or try another network.";
        case "handshake":
          return "The encryption handshake with the other device was refused, so the call was stopped rather than risk an eavesdropper. Press Retry.";
        case "turn-refused":
          return "The clinic's relay server (TURN) refused this device's credentials, so the call cannot connect. Press Retry; if it keeps failing, tell your clinic: its TURN_SECRET may not match the relay server's.";
        case "turn-unreachable":
          return "The clinic's relay server (TURN) could not be reached, and this clinic sends calls only through it. Check your connection and press Retry; if it keeps failing, tell your clinic.";
        case "certificate":
          return "The video connection did not use the verified keys, so it was stopped. Press Retry; if it happens again, do not go on over this network.";
        default:
          return "The call connection failed. Press Retry; if it keeps failing, try another network.";
      }
    case "ended":
      return snapshot.problem === "peer-left"
        ? `${who} left the call.`
        : snapshot.problem === "mismatch"
          ? "The codes did not match, so the call was ended and its keys erased. Your clinic has been told."
          : "The call has ended.";
  }
}

export function Room({ snapshot, settings }: { snapshot: RoomSnapshot; settings: ClientSettings }) {
  const runtime = useRoomRuntime(snapshot, settings);
  const state = useRoomView(runtime);
  const { isDoctor, ended, present, inConsult, patient, other } = roomFacts(state);
  const identity = useDeviceIdentity(snapshot.userId);
  const ready = identity.status === "ready" ? identity.identity : undefined;
  const media = useLocalMedia(present, runtime.call.replaceTrack);
  useRuntimeInputs(runtime, ready, media);
  const call = useCallView(runtime);
  const chatShown = useChatShown(runtime);
  const filesShown = useFilesShown(runtime);
  const screen = useScreenShare(runtime.call.shareScreen);
  const [speakerId, setSpeakerId] = useState(() => (typeof window === "undefined" ? undefined : savedDeviceChoice().speakerId));
  const deviceFingerprint = useFingerprint(ready);
  const records = useRecordsNotice(snapshot.userId, snapshot.recordsKey);
  const waiting = state.participants.filter((p) => p.role === "patient" && p.state === "waiting");
  const people = useMemo(() => peopleOf(state, snapshot), [state, snapshot]);
  const nameOf = useCallback((userId: string) => people.find((p) => p.userId === userId)?.name ?? "Someone", [people]);

  const check = useConnectionCheck(snapshot.consult.id, settings, !isDoctor && state.me.state === "waiting" && !ended);
  const safety = useSafetyNumber(ready?.spki, call.snapshot.e2ee.peerIdentity);

  const connection: CallState = !present ? "ended" : state.me.state === "waiting" ? "waiting" : other ? call.snapshot.state : call.snapshot.state === "ended" ? "ended" : "waiting";

  const hangUp = () => {
    runtime.call.hangUp();
    void runtime.room.leave();
  };

  if (state.removed) {
    return (
      <main className="mx-auto max-w-lg px-4 py-16">
        <span data-testid="connection-state" data-state="ended" className="sr-only">
          ended
        </span>
        <Alert>You are no longer in this consult. If this is a mistake, ask your clinic for a new invite link.</Alert>
      </main>
    );
  }

  return (
    <main className="mx-auto max-w-7xl space-y-5 px-4 py-6">
      {isDoctor && <IdleLogoff idleMs={settings.idleTimeoutMs} />}
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div>
          <h1 className="text-xl font-semibold">{isDoctor ? `Consult${patient ? ` with ${patient.displayName}` : ""}` : `Consult with ${snapshot.consult.doctorName}`}</h1>
          <p className="text-sm text-slate-600" aria-live="polite">
            <span data-testid="connection-state" data-state={connection}>
              {ended
                ? "This consult has ended."
                : state.me.state === "waiting"
                  ? "Waiting to be admitted"
                  : state.me.state === "left"
                    ? "You left the call."
                    : !other && call.snapshot.state !== "ended"
                      ? isDoctor
                        ? "Waiting for your patient"
                        : `Waiting for ${snapshot.consult.doctorName}`
                      : callText(call.snapshot, other?.displayName)}
            </span>
            {state.stream === "reconnecting" && (
              <span data-testid="stream-reconnecting" className="ml-2 text-amber-700">
                · reconnecting to the server…
              </span>
            )}
          </p>
        </div>
        <div className="flex gap-2">
          {isDoctor && (
            <Link href="/dashboard" className="inline-flex min-h-11 items-center rounded-xl px-3 text-sm text-brand-700 hover:underline">
              Dashboard
            </Link>
          )}
          {!ended && isDoctor && patient && (
            <Button
              data-testid="remove-participant"
              variant="secondary"
              onClick={() => void runtime.room.remove(patient.id)}
              disabled={state.busy}
              title="They leave the consult at once and cannot read anything written after this"
            >
              Remove patient
            </Button>
          )}
          {!ended && isDoctor && (
            <Button data-testid="end-consult" variant="danger" onClick={() => void runtime.room.end()} disabled={state.busy}>
              End consult
            </Button>
          )}
        </div>
      </div>

      {state.error && <Alert>{state.error}</Alert>}
      {identity.status === "unavailable" && (
        <div data-testid="e2ee-status" data-state="unavailable">
          <Alert>
            This page is not served over HTTPS, so the browser offers no cryptography here. Parley will not send chat or documents without end-to-end encryption: ask your clinic for the https://
            address of this consult.
          </Alert>
        </div>
      )}
      {identity.status === "error" && <Alert tone="warning">This device&apos;s encryption key could not be set up ({identity.message}). Reload the page to try again.</Alert>}
      {present && media.problem && <Alert tone="warning">{MEDIA_PROBLEMS[media.problem]}</Alert>}

      {!isDoctor && state.me.state === "waiting" && !ended && (
        <section data-testid="waiting-room" className="grid gap-4 rounded-2xl border border-brand-100 bg-brand-50 p-6 text-brand-900 sm:grid-cols-[1fr_16rem]">
          <div>
            <h2 className="text-lg font-semibold">You are in the waiting room</h2>
            <p className="mt-1 text-sm">{snapshot.consult.doctorName} has been told you are here and will let you in shortly. Keep this page open: the call starts by itself.</p>
            <ConnectionCheckLine check={check} />
          </div>
          <SelfView stream={media.stream} />
        </section>
      )}

      {state.me.state === "left" && !ended && (
        <section className="flex flex-wrap items-center justify-between gap-3 rounded-2xl border border-slate-200 bg-white p-5" data-testid="left-consult">
          <p className="text-sm">
            {isDoctor
              ? "You left the call. The consult stays open until you end it."
              : "You left the consult. You can close this page, or go back to the waiting room and your doctor will let you in again."}
          </p>
          <Button onClick={() => void runtime.room.rejoin()} disabled={state.busy}>
            {isDoctor ? "Back to the call" : "Back to the waiting room"}
          </Button>
        </section>
      )}

      {isDoctor && present && !patient && (
        <InvitePanel
          invite={state.invite}
          fragment={state.linkFragment !== undefined ? state.linkFragment : identity.status === "unavailable" || identity.status === "error" ? null : undefined}
          onNewLink={() => void runtime.room.newInvite()}
          busy={state.busy}
        />
      )}

      {isDoctor && present && waiting.length > 0 && (
        <section className="rounded-2xl border border-amber-200 bg-amber-50 p-5" data-testid="waiting-list">
          <h2 className="mb-3 font-semibold text-amber-950">Waiting room</h2>
          <ul className="space-y-2">
            {waiting.map((p) => (
              <li key={p.id} className="flex items-center justify-between gap-3 rounded-xl bg-white px-4 py-3">
                <span>
                  <span className="font-medium">{p.displayName}</span>
                  <span className={`ml-2 text-xs ${p.online ? "text-emerald-700" : "text-slate-500"}`}>{p.online ? "online" : "away"}</span>
                </span>
                <span className="flex gap-2">
                  <Button data-testid="remove-participant" variant="secondary" onClick={() => void runtime.room.remove(p.id)} disabled={state.busy}>
                    Turn away
                  </Button>
                  <Button data-testid="admit" onClick={() => void runtime.room.admit(p.id)} disabled={state.busy}>
                    Admit
                  </Button>
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}

      {/* Wide screens: the call and its controls stay in view (sticky) beside the chat and documents,
          so a doctor never scrolls away from the patient to type. Phones: one column, the video first. */}
      <div className={inConsult ? "grid gap-5 lg:grid-cols-[minmax(0,3fr)_minmax(22rem,2fr)] lg:items-start" : "space-y-5"}>
        <div data-testid="call-column" className="space-y-3 lg:sticky lg:top-4">
          {inConsult && (
            <CallView
              local={media.stream}
              snapshot={call.snapshot}
              otherName={other?.displayName}
              muted={call.muted}
              cameraOff={call.cameraOff}
              onToggleMute={runtime.call.toggleMute}
              onToggleCamera={runtime.call.toggleCamera}
              onHangUp={hangUp}
              onRetry={runtime.call.retry}
              busy={state.busy}
              quality={call.quality}
              details={isDoctor}
              speakerId={speakerId}
            />
          )}
          {inConsult && other && identity.status === "ready" && (
            <E2eePanel
              e2ee={call.snapshot.e2ee}
              otherName={other.displayName}
              safetyNumber={safety}
              onConfirm={runtime.call.confirm}
              onMismatch={runtime.call.mismatch}
              onAcknowledge={runtime.call.acknowledgeKeyChange}
            />
          )}
          {inConsult && media.stream && (
            <DevicesPanel
              media={media}
              speakerId={speakerId}
              onSpeaker={(id) => {
                setSpeakerId(id || undefined);
                saveDeviceChoice({ speakerId: id || undefined });
              }}
              screen={isDoctor ? { ...screen, start: () => void screen.start() } : undefined}
            />
          )}
        </div>
        <div data-testid="chat-column" className="space-y-5">
          {identity.status === "ready" && (inConsult || chatShown) && <ChatPanel runtime={runtime} nameOf={nameOf} otherName={other?.displayName} isDoctor={isDoctor} />}

          {identity.status === "ready" && (inConsult || filesShown) && <FilesPanel runtime={runtime} nameOf={nameOf} otherName={other?.displayName} canSend={inConsult} />}
        </div>
      </div>

      {isDoctor && records && records.state !== "none" && <RecordsCopy notice={records} />}

      {present && <DeviceKey fingerprint={deviceFingerprint} />}

      {ended && (
        <Alert tone="info">
          This consult has ended.{" "}
          {isDoctor ? (
            <Link href="/dashboard" className="underline">
              Back to your consults
            </Link>
          ) : (
            "You can close this page."
          )}
        </Alert>
      )}
    </main>
  );
}

/** The clinic holds an encrypted copy of the record (PROTOCOL §7.4), under the records key this device met first. */
function RecordsCopy({ notice }: { notice: Exclude<RecordsNotice, { state: "none" }> }) {
  if (notice.state === "changed") {
    return (
      <Alert tone="warning" testId="records-key-changed">
        The clinic&apos;s records key is not the one this device met before (now {notice.fingerprint}), so this device does not encrypt copies to it. Check the fingerprint with your clinic admin.
      </Alert>
    );
  }
  return (
    <p className="text-center text-xs text-slate-500" data-testid="records-copy-notice">
      Your clinic holds an encrypted copy of this consult&apos;s record, which only its records key opens (fingerprint <span className="font-mono">{notice.fingerprint}</span>).
    </p>
  );
}

function DeviceKey({ fingerprint }: { fingerprint: string | undefined }) {
  if (!fingerprint) return null;
  return (
    <p className="text-center text-xs text-slate-500">
      This device&apos;s key:{" "}
      <span data-testid="device-fingerprint" className="font-mono">
        {fingerprint}
      </span>
    </p>
  );
}

function SelfView({ stream }: { stream: MediaStream | undefined }) {
  const ref = useRef<HTMLVideoElement>(null);
  useMediaElement(ref, stream);
  return (
    <div className="aspect-video overflow-hidden rounded-xl bg-slate-900">
      <video ref={ref} data-testid="preview-video" autoPlay playsInline muted className="h-full w-full -scale-x-100 object-cover" />
    </div>
  );
}

const CHECK_TEXT = {
  checking: "Checking your connection…",
  ok: "Your connection is ready for the call.",
  "relay-only": "Your network allows the call only through the clinic's relay: it should still work.",
  blocked: "",
  unavailable: "",
} as const;

function ConnectionCheckLine({ check }: { check: CheckResult }) {
  return (
    <p
      data-testid="connection-check"
      data-state={check.state}
      className={`mt-3 text-sm ${check.state === "blocked" || check.state === "unavailable" ? "font-medium text-red-800" : ""}`}
      aria-live="polite"
    >
      {check.detail ?? CHECK_TEXT[check.state]}
    </p>
  );
}
