"use client";
// The camera and microphone: getUserMedia with a fallback to one kind when the other is missing,
// and every failure turned into a state the page can explain.
import { useCallback, useEffect, useRef, useState } from "react";

export type MediaProblem = "denied" | "no-device" | "in-use" | "insecure" | "error";

export function classifyMediaError(err: unknown): MediaProblem {
  const name = err instanceof DOMException || err instanceof Error ? err.name : "";
  if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") return "denied";
  if (name === "NotFoundError" || name === "OverconstrainedError" || name === "DevicesNotFoundError") return "no-device";
  if (name === "NotReadableError" || name === "TrackStartError" || name === "AbortError") return "in-use";
  return "error";
}

export type DeviceChoice = { cameraId?: string; microphoneId?: string; speakerId?: string };

const CHOICE_KEY = "parley.devices";

/** The devices this browser last chose (the join page's check, or a switch in the room). */
export function savedDeviceChoice(): DeviceChoice {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(CHOICE_KEY) ?? "{}");
    if (!v || typeof v !== "object") return {};
    const o = v as Record<string, unknown>;
    const str = (x: unknown) => (typeof x === "string" && x.length > 0 && x.length < 300 ? x : undefined);
    return { cameraId: str(o.cameraId), microphoneId: str(o.microphoneId), speakerId: str(o.speakerId) };
  } catch {
    return {};
  }
}

export function saveDeviceChoice(patch: DeviceChoice): void {
  try {
    localStorage.setItem(CHOICE_KEY, JSON.stringify({ ...savedDeviceChoice(), ...patch }));
  } catch {
    // private mode: the choice lasts for this page only
  }
}

export type Acquired = { stream: MediaStream; problem?: undefined } | { stream?: undefined; problem: MediaProblem };

/** Camera and microphone together; one alone when the other is missing or refused. */
export async function acquireMedia(choice: DeviceChoice = {}): Promise<Acquired> {
  if (typeof navigator === "undefined" || !navigator.mediaDevices?.getUserMedia) return { problem: "insecure" };
  const video: MediaTrackConstraints | boolean = choice.cameraId ? { deviceId: { exact: choice.cameraId } } : true;
  const audio: MediaTrackConstraints | boolean = choice.microphoneId ? { deviceId: { exact: choice.microphoneId } } : true;
  try {
    return { stream: await navigator.mediaDevices.getUserMedia({ video, audio }) };
  } catch (err) {
    // A remembered device that is gone (unplugged, another browser profile): the defaults instead.
    if ((choice.cameraId || choice.microphoneId) && classifyMediaError(err) === "no-device") return acquireMedia({});
    for (const c of [
      { video: false, audio },
      { video, audio: false },
    ]) {
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

export type MediaKind = "audio" | "video";

/**
 * The room's camera and microphone (the devices chosen last, else the defaults), acquired while
 * `enabled` and released on unmount. `switchDevice` swaps one kind for another device — also
 * mid-call: `onTrack` hands the new track to the call, which replaces what it sends without
 * renegotiating. The stream object stays the same; its track changes.
 */
export function useLocalMedia(enabled: boolean, onTrack?: (kind: MediaKind, track: MediaStreamTrack) => Promise<void> | void) {
  const [result, setResult] = useState<LocalMedia>({ settled: false });
  const [version, setVersion] = useState(0);
  const [switchProblem, setSwitchProblem] = useState<MediaProblem>();
  const trackHandler = useRef(onTrack);
  useEffect(() => {
    trackHandler.current = onTrack;
  });
  useEffect(() => {
    if (!enabled) return;
    let cancelled = false;
    let got: MediaStream | undefined;
    void acquireMedia(savedDeviceChoice()).then((r) => {
      got = r.stream;
      if (cancelled) stopMedia(got);
      else setResult({ stream: r.stream, problem: r.problem, settled: true });
    });
    return () => {
      cancelled = true;
      stopMedia(got);
    };
  }, [enabled]);

  const stream = result.stream;
  const replace = useCallback(
    async (kind: MediaKind, constraints: MediaTrackConstraints): Promise<boolean> => {
      if (!stream) return false;
      const problem = await replaceTrack(stream, kind, constraints, (k, t) => trackHandler.current?.(k, t));
      if (problem === "none") return false;
      setSwitchProblem(problem);
      if (problem === undefined) setVersion((v) => v + 1);
      return problem === undefined;
    },
    [stream],
  );

  const switchDevice = useCallback(
    async (kind: MediaKind, deviceId: string) => {
      if (await replace(kind, { deviceId: { exact: deviceId } })) saveDeviceChoice(kind === "video" ? { cameraId: deviceId } : { microphoneId: deviceId });
    },
    [replace],
  );

  /** Front and back camera, where there are both (phones). */
  const facing = useRef<"user" | "environment">("user");
  const flipCamera = useCallback(async () => {
    const next = facing.current === "user" ? "environment" : "user";
    if (await replace("video", { facingMode: { exact: next } })) facing.current = next;
  }, [replace]);

  const current = (kind: MediaKind) => (kind === "video" ? stream?.getVideoTracks()[0] : stream?.getAudioTracks()[0])?.getSettings().deviceId;
  return { ...result, version, switchProblem, switchDevice, flipCamera, current };
}

export type RoomMedia = ReturnType<typeof useLocalMedia>;

/**
 * Replaces `stream`'s track of `kind` by one from `constraints`, keeping mute / camera-off: the
 * call (`onTrack`) sends the new track before the old one stops (a sender whose track ended first
 * may stay silent in Chromium). Undefined when done; "none" when no track came; else the problem.
 */
async function replaceTrack(
  stream: MediaStream,
  kind: MediaKind,
  constraints: MediaTrackConstraints,
  onTrack: (kind: MediaKind, track: MediaStreamTrack) => Promise<void> | void,
): Promise<MediaProblem | "none" | undefined> {
  let fresh: MediaStreamTrack | undefined;
  try {
    const got = await navigator.mediaDevices.getUserMedia(kind === "video" ? { video: constraints } : { audio: constraints });
    fresh = kind === "video" ? got.getVideoTracks()[0] : got.getAudioTracks()[0];
  } catch (err) {
    return classifyMediaError(err);
  }
  if (!fresh) return "none";
  const old = kind === "video" ? stream.getVideoTracks()[0] : stream.getAudioTracks()[0];
  if (old) fresh.enabled = old.enabled;
  await onTrack(kind, fresh);
  if (old) {
    stream.removeTrack(old);
    old.stop();
  }
  stream.addTrack(fresh);
  return undefined;
}

/** The devices of this browser, kept up to date as they are plugged in and out. */
export function useDeviceList(enabled: boolean) {
  const [devices, setDevices] = useState<{ cameras: MediaDeviceInfo[]; microphones: MediaDeviceInfo[]; speakers: MediaDeviceInfo[] }>({ cameras: [], microphones: [], speakers: [] });
  useEffect(() => {
    if (!enabled || typeof navigator === "undefined" || !navigator.mediaDevices?.enumerateDevices) return;
    let cancelled = false;
    const load = () =>
      void navigator.mediaDevices.enumerateDevices().then((all) => {
        if (cancelled) return;
        setDevices({
          cameras: all.filter((d) => d.kind === "videoinput" && d.deviceId),
          microphones: all.filter((d) => d.kind === "audioinput" && d.deviceId),
          speakers: all.filter((d) => d.kind === "audiooutput" && d.deviceId),
        });
      });
    load();
    navigator.mediaDevices.addEventListener("devicechange", load);
    return () => {
      cancelled = true;
      navigator.mediaDevices.removeEventListener("devicechange", load);
    };
  }, [enabled]);
  return devices;
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
export function useRemoteAudio(ref: React.RefObject<HTMLAudioElement | null>, stream: MediaStream | undefined, sinkId?: string) {
  const [blocked, setBlocked] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el || !("setSinkId" in el)) return;
    void el.setSinkId(sinkId ?? "").catch(() => undefined); // a speaker that is gone: the default plays
  }, [ref, sinkId]);
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
    void ref.current?.play().then(
      () => setBlocked(false),
      () => undefined,
    );
  };
  return { blocked, unblock };
}
