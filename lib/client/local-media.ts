"use client";
// The camera and microphone: getUserMedia with a fallback to one kind when the other is missing,
// and every failure turned into a state the page can explain.
import { useEffect, useState } from "react";

export type MediaProblem = "denied" | "no-device" | "in-use" | "insecure" | "error";

export function classifyMediaError(err: unknown): MediaProblem {
  const name = err instanceof DOMException || err instanceof Error ? err.name : "";
  if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") return "denied";
  if (name === "NotFoundError" || name === "OverconstrainedError" || name === "DevicesNotFoundError") return "no-device";
  if (name === "NotReadableError" || name === "TrackStartError" || name === "AbortError") return "in-use";
  return "error";
}

export type DeviceChoice = { cameraId?: string; microphoneId?: string };

export type Acquired = { stream: MediaStream; problem?: undefined } | { stream?: undefined; problem: MediaProblem };

/** Camera and microphone together; one alone when the other is missing or refused. */
export async function acquireMedia(choice: DeviceChoice = {}): Promise<Acquired> {
  if (typeof navigator === "undefined" || !navigator.mediaDevices?.getUserMedia) return { problem: "insecure" };
  const video: MediaTrackConstraints | boolean = choice.cameraId ? { deviceId: { exact: choice.cameraId } } : true;
  const audio: MediaTrackConstraints | boolean = choice.microphoneId ? { deviceId: { exact: choice.microphoneId } } : true;
  try {
    return { stream: await navigator.mediaDevices.getUserMedia({ video, audio }) };
  } catch (err) {
    for (const c of [{ video: false, audio }, { video, audio: false }]) {
      try {
        return { stream: await navigator.mediaDevices.getUserMedia(c) };
      } catch {
        // keep the first error
      }
    }
    return { problem: classifyMediaError(err) };
  }
}

export function stopMedia(stream: MediaStream | undefined): void {
  stream?.getTracks().forEach((t) => t.stop());
}

/** The room's own camera and microphone, acquired while `enabled`, released on unmount. */
export type LocalMedia = { stream?: MediaStream; problem?: MediaProblem; settled: boolean };

export function useLocalMedia(enabled: boolean): LocalMedia {
  const [result, setResult] = useState<LocalMedia>({ settled: false });
  useEffect(() => {
    if (!enabled) return;
    let cancelled = false;
    let got: MediaStream | undefined;
    void acquireMedia().then((r) => {
      got = r.stream;
      if (cancelled) stopMedia(got);
      else setResult({ stream: r.stream, problem: r.problem, settled: true });
    });
    return () => {
      cancelled = true;
      stopMedia(got);
    };
  }, [enabled]);
  return result;
}

/** Shows a stream in a <video> or <audio> element. */
export function useMediaElement(ref: React.RefObject<HTMLMediaElement | null>, stream: MediaStream | undefined): void {
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.srcObject = stream ?? null;
  }, [ref, stream]);
}

/**
 * Plays the other side's audio in its own element (the remote <video> stays muted so autoplay
 * rules never hold the picture back). When the browser blocks sound until a click, `blocked` is
 * true and `unblock` (called from a click) starts it.
 */
export function useRemoteAudio(ref: React.RefObject<HTMLAudioElement | null>, stream: MediaStream | undefined) {
  const [blocked, setBlocked] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.srcObject = stream ?? null;
    if (!stream) return;
    el.play().then(
      () => setBlocked(false),
      (err: unknown) => setBlocked(err instanceof DOMException && err.name === "NotAllowedError"),
    );
  }, [ref, stream]);
  const unblock = () => {
    void ref.current?.play().then(() => setBlocked(false), () => undefined);
  };
  return { blocked, unblock };
}
