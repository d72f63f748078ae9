"use client";
// Screen sharing for the doctor: the shared screen's track goes out in place of the camera's
// (no renegotiation), and back to the camera when sharing stops — from the page or from the
// browser's own "Stop sharing" bar.
import { useCallback, useEffect, useRef, useState } from "react";

export function useScreenShare(send: (track: MediaStreamTrack | undefined) => void) {
  const [sharing, setSharing] = useState(false);
  const [problem, setProblem] = useState<string>();
  const track = useRef<MediaStreamTrack | undefined>(undefined);
  const sendRef = useRef(send);
  useEffect(() => {
    sendRef.current = send;
  });

  const stop = useCallback(() => {
    track.current?.stop();
    track.current = undefined;
    setSharing(false);
    sendRef.current(undefined);
  }, []);

  const start = useCallback(async () => {
    setProblem(undefined);
    if (!navigator.mediaDevices?.getDisplayMedia) {
      setProblem("This browser cannot share the screen.");
      return;
    }
    try {
      const media = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
      const t = media.getVideoTracks()[0];
      if (!t) return;
      t.addEventListener("ended", stop);
      track.current = t;
      setSharing(true);
      sendRef.current(t);
    } catch (err) {
      // Cancelling the browser's picker is not a problem worth a message.
      if (!(err instanceof DOMException && err.name === "NotAllowedError")) setProblem("The screen could not be shared. Try again.");
    }
  }, [stop]);

  useEffect(() => () => track.current?.stop(), []);
  return { sharing, problem, start, stop };
}
