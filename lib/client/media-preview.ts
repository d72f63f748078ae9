"use client";
// Camera and microphone preview with a device check, for the join page: asks for permission,
// lists devices, measures the microphone level, and turns every failure into a state the page
// can explain (denied, no device, device busy, insecure page).
import { useCallback, useEffect, useRef, useState } from "react";

export type PreviewState = "idle" | "requesting" | "ready" | "denied" | "no-device" | "in-use" | "insecure" | "error";

export type Devices = { cameras: MediaDeviceInfo[]; microphones: MediaDeviceInfo[] };

export function classifyMediaError(err: unknown): PreviewState {
  const name = err instanceof DOMException || err instanceof Error ? err.name : "";
  if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") return "denied";
  if (name === "NotFoundError" || name === "OverconstrainedError" || name === "DevicesNotFoundError") return "no-device";
  if (name === "NotReadableError" || name === "TrackStartError" || name === "AbortError") return "in-use";
  return "error";
}

export function useMediaPreview() {
  const [state, setState] = useState<PreviewState>("idle");
  const [stream, setStream] = useState<MediaStream>();
  const [devices, setDevices] = useState<Devices>({ cameras: [], microphones: [] });
  const [level, setLevel] = useState(0);
  const [hasVideo, setHasVideo] = useState(false);
  const [hasAudio, setHasAudio] = useState(false);
  const current = useRef<MediaStream | undefined>(undefined);

  const stop = useCallback(() => {
    current.current?.getTracks().forEach((t) => t.stop());
    current.current = undefined;
  }, []);

  const start = useCallback(
    async (choice: { cameraId?: string; microphoneId?: string } = {}) => {
      if (typeof navigator === "undefined" || !navigator.mediaDevices?.getUserMedia) {
        setState("insecure");
        return;
      }
      setState("requesting");
      stop();
      const video: MediaTrackConstraints | boolean = choice.cameraId ? { deviceId: { exact: choice.cameraId } } : true;
      const audio: MediaTrackConstraints | boolean = choice.microphoneId ? { deviceId: { exact: choice.microphoneId } } : true;
      let media: MediaStream | undefined;
      let failure: unknown;
      try {
        media = await navigator.mediaDevices.getUserMedia({ video, audio });
      } catch (err) {
        failure = err;
        // One of the two may be missing: try each alone so a patient without a camera can still talk.
        for (const c of [{ video: false, audio }, { video, audio: false }]) {
          try {
            media = await navigator.mediaDevices.getUserMedia(c);
            break;
          } catch {
            // keep the first error
          }
        }
      }
      if (!media) {
        setState(classifyMediaError(failure));
        setStream(undefined);
        return;
      }
      current.current = media;
      setStream(media);
      setHasVideo(media.getVideoTracks().length > 0);
      setHasAudio(media.getAudioTracks().length > 0);
      const all = await navigator.mediaDevices.enumerateDevices();
      setDevices({ cameras: all.filter((d) => d.kind === "videoinput"), microphones: all.filter((d) => d.kind === "audioinput") });
      setState("ready");
    },
    [stop],
  );

  // Microphone level meter while a stream with audio is live.
  useEffect(() => {
    if (!stream || stream.getAudioTracks().length === 0) return;
    const ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 512;
    ctx.createMediaStreamSource(stream).connect(analyser);
    const data = new Uint8Array(analyser.fftSize);
    let frame = 0;
    const tick = () => {
      analyser.getByteTimeDomainData(data);
      let peak = 0;
      for (const v of data) peak = Math.max(peak, Math.abs(v - 128));
      setLevel(peak / 128);
      frame = requestAnimationFrame(tick);
    };
    tick();
    return () => {
      cancelAnimationFrame(frame);
      void ctx.close();
    };
  }, [stream]);

  useEffect(() => stop, [stop]);

  return { state, stream, devices, level, hasVideo, hasAudio, start, stop };
}
