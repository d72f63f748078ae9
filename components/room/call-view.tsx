"use client";

import { useRef } from "react";
import type { CallSnapshot } from "@/lib/rtc/call";
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
};

export function CallView({ local, snapshot, otherName, muted, cameraOff, onToggleMute, onToggleCamera, onHangUp, onRetry, busy }: Props) {
  const remoteVideo = useRef<HTMLVideoElement>(null);
  const remoteAudio = useRef<HTMLAudioElement>(null);
  const localVideo = useRef<HTMLVideoElement>(null);
  useMediaElement(remoteVideo, snapshot.remoteStream);
  useMediaElement(localVideo, local);
  const sound = useRemoteAudio(remoteAudio, snapshot.remoteStream);
  const remoteCameraOff = snapshot.remoteMedia !== undefined && !snapshot.remoteMedia.video;
  const remoteMuted = snapshot.remoteMedia !== undefined && !snapshot.remoteMedia.audio;
  const hasAudio = (local?.getAudioTracks().length ?? 0) > 0;
  const hasVideo = (local?.getVideoTracks().length ?? 0) > 0;

  return (
    <section className="space-y-3">
      <div className="relative aspect-[4/3] overflow-hidden rounded-2xl bg-slate-900 sm:aspect-video">
        <video ref={remoteVideo} data-testid="remote-video" autoPlay playsInline muted className="h-full w-full object-contain" />
        <audio ref={remoteAudio} data-testid="remote-audio" autoPlay />
        {(!snapshot.remoteStream || remoteCameraOff) && (
          <p className="absolute inset-0 grid place-items-center px-6 text-center text-sm text-slate-300">
            {snapshot.state === "connecting" ? "Connecting the call…" : remoteCameraOff ? `${otherName ?? "The other side"} turned the camera off` : ""}
          </p>
        )}
        {remoteMuted && <span className="absolute left-3 top-3 rounded-full bg-black/60 px-3 py-1 text-xs text-white">{otherName ?? "They"} muted</span>}
        <div className="absolute bottom-3 right-3 aspect-video w-28 overflow-hidden rounded-xl border border-white/20 bg-slate-800 shadow-lg sm:w-44">
          <video ref={localVideo} data-testid="local-video" autoPlay playsInline muted className="h-full w-full -scale-x-100 object-cover" />
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
