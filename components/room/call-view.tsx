"use client";

import { useRef } from "react";
import type { CallSnapshot } from "@/lib/rtc/call";
import type { Quality } from "@/lib/rtc/quality";
import { useMediaElement, useRemoteAudio } from "@/lib/client/local-media";
import { Button } from "../ui/button";

type Props = {
  local: MediaStream | undefined;
  snapshot: CallSnapshot;
  otherName: string | undefined;
  muted: boolean;
  cameraOff: boolean;
  onToggleMute: () => void;
  onToggleCamera: () => void;
  onHangUp: () => void;
  onRetry: () => void;
  busy: boolean;
  quality: Quality | undefined;
  /** the doctor sees the numbers and the route (relay or direct) */
  details: boolean;
  /** the audio output chosen (setSinkId), undefined for the system default */
  speakerId?: string;
};

const LEVEL_TEXT = { good: "Good connection", fair: "Fair connection", poor: "Poor connection" } as const;
const LEVEL_STYLE = { good: "bg-emerald-600", fair: "bg-amber-500", poor: "bg-red-600" } as const;

export function CallView({ local, snapshot, otherName, muted, cameraOff, onToggleMute, onToggleCamera, onHangUp, onRetry, busy, quality, details, speakerId }: Props) {
  const remoteVideo = useRef<HTMLVideoElement>(null);
  const remoteAudio = useRef<HTMLAudioElement>(null);
  const localVideo = useRef<HTMLVideoElement>(null);
  useMediaElement(remoteVideo, snapshot.remoteStream);
  useMediaElement(localVideo, local);
  const sound = useRemoteAudio(remoteAudio, snapshot.remoteStream, speakerId);
  const remoteCameraOff = snapshot.remoteMedia !== undefined && !snapshot.remoteMedia.video;
  const remoteMuted = snapshot.remoteMedia !== undefined && !snapshot.remoteMedia.audio;
  const hasAudio = (local?.getAudioTracks().length ?? 0) > 0;
  const hasVideo = (local?.getVideoTracks().length ?? 0) > 0;

  return (
    <section className="space-y-3">
      <div className="relative aspect-[4/3] overflow-hidden rounded-2xl bg-slate-900 sm:aspect-video">
        {/* A camera turned off still sends black frames: hidden, they cost no compositing (docs/bench-log/2026-12-05-documents-4-fourth-pass.md). */}
        <video ref={remoteVideo} data-testid="remote-video" autoPlay playsInline muted className={`h-full w-full object-contain ${remoteCameraOff ? "invisible" : ""}`} />
        <audio ref={remoteAudio} data-testid="remote-audio" autoPlay />
        {(!snapshot.remoteStream || remoteCameraOff) && (
          <p className="absolute inset-0 grid place-items-center px-6 text-center text-sm text-slate-300">
            {snapshot.state === "connecting" ? "Connecting the call…" : remoteCameraOff ? `${otherName ?? "The other side"} turned the camera off` : ""}
          </p>
        )}
        {snapshot.state === "reconnecting" && (
          <p data-testid="call-reconnecting" className="absolute inset-0 grid place-items-center bg-slate-900/75 px-6 text-center text-sm font-medium text-white" aria-live="polite">
            The connection dropped — reconnecting…
          </p>
        )}
        {quality && snapshot.state === "connected" && (
          <p
            data-testid="connection-quality"
            data-state={quality.level}
            data-route={quality.route}
            className="absolute right-3 top-3 flex items-center gap-2 rounded-full bg-black/60 px-3 py-1 text-xs text-white"
            title={details ? undefined : "How well the call is getting through"}
          >
            <span className={`inline-block h-2 w-2 rounded-full ${LEVEL_STYLE[quality.level]}`} aria-hidden />
            {LEVEL_TEXT[quality.level]}
            {details && <span data-testid="connection-details">{qualityDetails(quality)}</span>}
          </p>
        )}
        {remoteMuted && <span className="absolute left-3 top-3 rounded-full bg-black/60 px-3 py-1 text-xs text-white">{otherName ?? "They"} muted</span>}
        <div className="absolute bottom-3 right-3 aspect-video w-28 overflow-hidden rounded-xl border border-white/20 bg-slate-800 shadow-lg sm:w-44">
          <video ref={localVideo} data-testid="local-video" autoPlay playsInline muted className={`h-full w-full -scale-x-100 object-cover ${!hasVideo || cameraOff ? "invisible" : ""}`} />
          {(!hasVideo || cameraOff) && <p className="absolute inset-0 grid place-items-center text-xs text-slate-300">{hasVideo ? "Camera off" : "No camera"}</p>}
        </div>
        {sound.blocked && (
          <Button className="absolute left-1/2 top-3 -translate-x-1/2" onClick={sound.unblock}>
            Turn on sound
          </Button>
        )}
      </div>
      <div className="flex flex-wrap items-center justify-center gap-2">
        <Button variant="secondary" data-testid="toggle-mic" aria-pressed={muted} onClick={onToggleMute} disabled={!hasAudio}>
          {muted ? "Unmute" : "Mute"}
        </Button>
        <Button variant="secondary" data-testid="toggle-camera" aria-pressed={cameraOff} onClick={onToggleCamera} disabled={!hasVideo}>
          {cameraOff ? "Camera on" : "Camera off"}
        </Button>
        {snapshot.state === "failed" && (
          <Button data-testid="retry-call" onClick={onRetry}>
            Retry
          </Button>
        )}
        <Button data-testid="hang-up" variant="danger" onClick={onHangUp} disabled={busy}>
          Leave call
        </Button>
      </div>
    </section>
  );
}

function qualityDetails(q: Quality): string {
  const parts = [];
  if (q.rttMs !== undefined) parts.push(`${q.rttMs} ms`);
  if (q.lossPct !== undefined) parts.push(`${q.lossPct}% loss`);
  if (q.inKbps !== undefined) parts.push(`${q.inKbps >= 1000 ? `${(q.inKbps / 1000).toFixed(1)} Mbit/s` : `${q.inKbps} kbit/s`} in`);
  if (q.route) parts.push(q.route === "relay" ? "via relay (TURN)" : "direct");
  return parts.length > 0 ? `· ${parts.join(" · ")}` : "";
}
