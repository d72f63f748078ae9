"use client";
// Camera and microphone preview with a device check, for the join page: asks for permission,
// lists devices, measures the microphone level, and turns every failure into a state the page
// can explain (denied, no device, device busy, insecure page).
import { useCallback, useEffect, useRef, useState } from "react";
import { acquireMedia, saveDeviceChoice, savedDeviceChoice, stopMedia, type DeviceChoice, type MediaProblem } from "./local-media";

export type PreviewState = "idle" | "requesting" | "ready" | MediaProblem;

export type Devices = { cameras: MediaDeviceInfo[]; microphones: MediaDeviceInfo[] };

export function useMediaPreview() {
  const [state, setState] = useState<PreviewState>("idle");
  const [stream, setStream] = useState<MediaStream>();
  const [devices, setDevices] = useState<Devices>({ cameras: [], microphones: [] });
  const [hasVideo, setHasVideo] = useState(false);
  const [hasAudio, setHasAudio] = useState(false);
  const current = useRef<MediaStream | undefined>(undefined);

  const stop = useCallback(() => {
    stopMedia(current.current);
    current.current = undefined;
  }, []);

  const start = useCallback(
    async (choice: DeviceChoice = {}) => {
      setState("requesting");
      stop();
      // What is picked here is what the room starts with (remembered on this device).
      saveDeviceChoice(choice);
      const r = await acquireMedia({ ...savedDeviceChoice(), ...choice });
      if (!r.stream) {
        setState(r.problem);
        setStream(undefined);
        return;
      }
      const media = r.stream;
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

  const level = useMicrophoneLevel(stream);
  useEffect(() => stop, [stop]);

  return { state, stream, devices, level, hasVideo, hasAudio, start, stop };
}

/** The microphone's level (0–1), sampled every frame while `stream` has audio. */
function useMicrophoneLevel(stream: MediaStream | undefined): number {
  const [level, setLevel] = useState(0);
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
  return level;
}
