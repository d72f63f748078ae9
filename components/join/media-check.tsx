"use client";

import { useEffect, useRef } from "react";
import type { useMediaPreview } from "@/lib/client/media-preview";
import { Button } from "../ui/button";
import { Alert } from "../ui/alert";

type Preview = ReturnType<typeof useMediaPreview>;

const PROBLEMS: Partial<Record<Preview["state"], string>> = {
  denied: "Your browser is not allowing this page to use your camera and microphone. Click the camera icon in the address bar (or your browser's site settings), allow both, then press “Try again”.",
  "no-device": "No camera or microphone was found. Connect one (or close other apps that might hide it) and press “Try again”. You can still join and chat.",
  "in-use": "Your camera or microphone is being used by another app. Close that app (video calls, recorders) and press “Try again”.",
  insecure: "This page cannot use your camera here: it must be opened over HTTPS. Ask your clinic for a secure (https://) link.",
  error: "Your camera or microphone could not be started. Press “Try again”, or restart your browser.",
};

export function MediaCheck({ preview }: { preview: Preview }) {
  const video = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    if (video.current) video.current.srcObject = preview.stream ?? null;
  }, [preview.stream]);

  const problem = PROBLEMS[preview.state];
  return (
    <div className="space-y-3" data-testid="device-check" data-state={preview.state}>
      <div className="relative aspect-video overflow-hidden rounded-2xl bg-slate-900">
        <video ref={video} data-testid="preview-video" autoPlay playsInline muted className="h-full w-full -scale-x-100 object-cover" />
        {!preview.hasVideo && <p className="absolute inset-0 grid place-items-center text-sm text-slate-300">{preview.state === "requesting" ? "Starting your camera…" : "Camera off"}</p>}
      </div>
      <div className="flex items-center gap-3 text-sm">
        <span className="w-24 text-slate-600">Microphone</span>
        <div
          className="h-2 flex-1 overflow-hidden rounded-full bg-slate-200"
          aria-label="Microphone level"
          role="meter"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.round(preview.level * 100)}
        >
          <div className="h-full bg-emerald-500 transition-[width]" style={{ width: `${Math.min(100, Math.round(preview.level * 300))}%` }} />
        </div>
      </div>
      {preview.state === "ready" && (
        <p className="text-sm text-emerald-800" data-testid="device-ok">
          {preview.hasVideo && preview.hasAudio ? "Camera and microphone are working." : preview.hasVideo ? "Camera works; no microphone found." : "Microphone works; no camera found."}
        </p>
      )}
      {problem && (
        <Alert tone="warning" testId="device-problem">
          {problem}
        </Alert>
      )}
      {preview.state !== "ready" && preview.state !== "requesting" && preview.state !== "insecure" && (
        <Button variant="secondary" onClick={() => void preview.start()}>
          {preview.state === "idle" ? "Check camera and microphone" : "Try again"}
        </Button>
      )}
      {preview.state === "ready" && (preview.devices.cameras.length > 1 || preview.devices.microphones.length > 1) && (
        <div className="grid gap-2 sm:grid-cols-2">
          {preview.devices.cameras.length > 1 && (
            <select aria-label="Camera" className="rounded-xl border border-slate-300 px-3 py-2 text-sm" onChange={(e) => void preview.start({ cameraId: e.target.value })}>
              {preview.devices.cameras.map((d, i) => (
                <option key={d.deviceId} value={d.deviceId}>
                  {d.label || `Camera ${i + 1}`}
                </option>
              ))}
            </select>
          )}
          {preview.devices.microphones.length > 1 && (
            <select aria-label="Microphone" className="rounded-xl border border-slate-300 px-3 py-2 text-sm" onChange={(e) => void preview.start({ microphoneId: e.target.value })}>
              {preview.devices.microphones.map((d, i) => (
                <option key={d.deviceId} value={d.deviceId}>
                  {d.label || `Microphone ${i + 1}`}
                </option>
              ))}
            </select>
          )}
        </div>
      )}
    </div>
  );
}
