"use client";

import Link from "next/link";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { RoomSnapshot } from "@/lib/shared/api";
import type { ClientSettings } from "@/lib/shared/settings";
import { IdleLogoff } from "../idle-logoff";
import type { CallSnapshot, CallState } from "@/lib/rtc/call";
import { useRoom } from "@/lib/client/use-room";
import { useCall, useSignalBus } from "@/lib/client/use-call";
import { saveDeviceChoice, savedDeviceChoice, useLocalMedia, useMediaElement, type MediaProblem } from "@/lib/client/local-media";
import { useScreenShare } from "@/lib/client/screen-share";
import { useConnectionCheck, type CheckResult } from "@/lib/client/connection-check";
import { DevicesPanel } from "./devices-panel";
import { useDeviceIdentity, useFingerprint, useSafetyNumber } from "@/lib/client/device-identity";
import { Button } from "../ui/button";
import { Alert } from "../ui/alert";
import { InvitePanel } from "./invite-panel";
import { CallView } from "./call-view";
import { E2eePanel } from "./e2ee-panel";
import { ChatPanel } from "./chat-panel";
import { useChat } from "@/lib/client/chat/use-chat";
import { useFiles } from "@/lib/client/files/use-files";
import { FilesPanel } from "./files-panel";
import type { ChainHeadMessage } from "@/lib/rtc/messages";

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
  const signals = useSignalBus();
  const chatEvents = useSignalBus();
  const room = useRoom(snapshot, signals, chatEvents);
  const { state } = room;
  const isDoctor = state.me.role === "doctor";
  const ended = state.status === "ended" || state.status === "cancelled";
  const present = !ended && !state.removed && state.me.state !== "left";
  const inConsult = present && state.me.state === "admitted";
  const waiting = state.participants.filter((p) => p.role === "patient" && p.state === "waiting");
  const patient = state.participants.find((p) => p.role === "patient" && p.state === "admitted");
  const doctor = state.participants.find((p) => p.role === "doctor" && p.state === "admitted");
  const other = isDoctor ? patient : doctor;

  const trackSink = useRef<(kind: "audio" | "video", track: MediaStreamTrack) => Promise<void>>(undefined);
  const media = useLocalMedia(present, (kind, track) => trackSink.current?.(kind, track));
  const [speakerId, setSpeakerId] = useState(() => (typeof window === "undefined" ? undefined : savedDeviceChoice().speakerId));
  const identity = useDeviceIdentity(snapshot.userId);
  const deviceFingerprint = useFingerprint(identity.status === "ready" ? identity.identity : undefined);
  const ready = identity.status === "ready" ? identity.identity : undefined;
  const keys = useMemo(
    () => (ready?.deviceId ? { privateKey: ready.privateKey, spki: ready.spki, deviceId: ready.deviceId } : undefined),
    [ready],
  );
  const chainHead = useRef<(h: ChainHeadMessage) => void>(undefined);
  const call = useCall({
    consultId: snapshot.consult.id,
    userId: snapshot.userId,
    keys,
    other: inConsult ? other : undefined,
    initiator: isDoctor,
    settings,
    local: media,
    signals,
    onChainHead: useCallback((h: ChainHeadMessage) => chainHead.current?.(h), []),
  });
  useEffect(() => {
    trackSink.current = call.replaceTrack;
  }, [call.replaceTrack]);
  const screen = useScreenShare(call.shareScreen);
  const people = useMemo(
    () => state.participants.map((p) => ({ userId: p.userId, name: p.role === "doctor" ? snapshot.consult.doctorName : p.displayName, role: p.role })),
    [state.participants, snapshot.consult.doctorName],
  );
  const chat = useChat({
    consultId: snapshot.consult.id,
    userId: snapshot.userId,
    identity: ready,
    people,
    other: other ? { id: other.id, userId: other.userId, online: other.online } : undefined,
    myParticipantId: state.me.id,
    events: chatEvents,
    e2ee: call.snapshot.e2ee.status,
    keyEpoch: call.snapshot.e2ee.consultKeyEpoch,
    trustOnFirstUse: settings.trustOnFirstUse,
    active: inConsult,
    readable: inConsult || (isDoctor && !state.removed),
    streamOpen: room.stream === "open",
    setChainHead: call.setChainHead,
    consultLabel: isDoctor ? `with ${patient?.displayName ?? "a patient"}` : `with ${snapshot.consult.doctorName}`,
  });
  useEffect(() => {
    chainHead.current = chat.onChainHead;
  }, [chat.onChainHead]);
  const files = useFiles({
    consultId: snapshot.consult.id,
    userId: snapshot.userId,
    myParticipantId: state.me.id,
    chat,
    events: chatEvents,
    maxFileBytes: settings.maxFileBytes,
    readable: inConsult || (isDoctor && !state.removed),
  });
  const nameOf = (userId: string) => people.find((p) => p.userId === userId)?.name ?? "Someone";

  const check = useConnectionCheck(snapshot.consult.id, settings, !isDoctor && state.me.state === "waiting" && !ended);
  const safety = useSafetyNumber(ready?.spki, call.snapshot.e2ee.peerIdentity);

  const connection: CallState = !present
    ? "ended"
    : state.me.state === "waiting"
      ? "waiting"
      : other
        ? call.snapshot.state
        : call.snapshot.state === "ended"
          ? "ended"
          : "waiting";

  const hangUp = () => {
    call.hangUp();
    void room.leave();
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
    <main className="mx-auto max-w-5xl space-y-5 px-4 py-6">
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
            {room.stream === "reconnecting" && <span data-testid="stream-reconnecting" className="ml-2 text-amber-700">· reconnecting to the server…</span>}
          </p>
        </div>
        <div className="flex gap-2">
          {isDoctor && (
            <Link href="/dashboard" className="inline-flex min-h-11 items-center rounded-xl px-3 text-sm text-brand-700 hover:underline">
              Dashboard
            </Link>
          )}
          {!ended && isDoctor && (
            <Button data-testid="end-consult" variant="danger" onClick={() => void room.end()} disabled={room.busy}>
              End consult
            </Button>
          )}
        </div>
      </div>

      {room.error && <Alert>{room.error}</Alert>}
      {identity.status === "unavailable" && (
        <div data-testid="e2ee-status" data-state="unavailable">
          <Alert>
            This page is not served over HTTPS, so the browser offers no cryptography here. Parley will not send chat or documents without end-to-end
            encryption: ask your clinic for the https:// address of this consult.
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
            {isDoctor ? "You left the call. The consult stays open until you end it." : "You left the consult. You can close this page, or go back to the waiting room and your doctor will let you in again."}
          </p>
          <Button onClick={() => void room.rejoin()} disabled={room.busy}>
            {isDoctor ? "Back to the call" : "Back to the waiting room"}
          </Button>
        </section>
      )}

      {isDoctor && present && !patient && <InvitePanel invite={room.invite} onNewLink={() => void room.newInvite()} busy={room.busy} />}

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
                <Button data-testid="admit" onClick={() => void room.admit(p.id)} disabled={room.busy}>
                  Admit
                </Button>
              </li>
            ))}
          </ul>
        </section>
      )}

      {inConsult && other && identity.status === "ready" && (
        <E2eePanel
          e2ee={call.snapshot.e2ee}
          otherName={other.displayName}
          safetyNumber={safety}
          onConfirm={call.confirm}
          onMismatch={call.mismatch}
          onAcknowledge={call.acknowledgeKeyChange}
        />
      )}

      {inConsult && (
        <CallView
          local={media.stream}
          snapshot={call.snapshot}
          otherName={other?.displayName}
          muted={call.muted}
          cameraOff={call.cameraOff}
          onToggleMute={call.toggleMute}
          onToggleCamera={call.toggleCamera}
          onHangUp={hangUp}
          onRetry={call.retry}
          busy={room.busy}
          quality={call.quality}
          details={isDoctor}
          speakerId={speakerId}
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

      {identity.status === "ready" && (inConsult || chat.items.length > 0 || chat.notice) && (
        <ChatPanel chat={chat} nameOf={nameOf} otherName={other?.displayName} isDoctor={isDoctor} />
      )}

      {identity.status === "ready" && (inConsult || files.items.length > 0) && <FilesPanel files={files} nameOf={nameOf} otherName={other?.displayName} canSend={inConsult} />}

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

function DeviceKey({ fingerprint }: { fingerprint: string | undefined }) {
  if (!fingerprint) return null;
  return (
    <p className="text-center text-xs text-slate-500">
      This device&apos;s key: <span data-testid="device-fingerprint" className="font-mono">{fingerprint}</span>
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
    <p data-testid="connection-check" data-state={check.state} className={`mt-3 text-sm ${check.state === "blocked" || check.state === "unavailable" ? "font-medium text-red-800" : ""}`} aria-live="polite">
      {check.detail ?? CHECK_TEXT[check.state]}
    </p>
  );
}
