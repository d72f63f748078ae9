// The browser end of the consult's event stream: one EventSource per room, resuming by itself
// with Last-Event-ID after a drop. Events are parsed with the shared schema; anything malformed
// is ignored rather than trusted.
"use client";

import { useEffect, useRef, useState } from "react";
import { eventKind, streamEvent, type StreamEvent } from "@/lib/shared/api";

export type StreamStatus = "connecting" | "open" | "reconnecting" | "closed";

export function useEventStream(consultId: string, afterSeq: number, onEvent: (e: StreamEvent) => void, enabled = true): StreamStatus {
  const [status, setStatus] = useState<StreamStatus>("connecting");
  const handler = useRef(onEvent);
  useEffect(() => {
    handler.current = onEvent;
  }, [onEvent]);
  // The first cursor only: later reconnects resume from the last id EventSource has seen.
  const startAt = useRef(afterSeq);

  useEffect(() => {
    if (!enabled) return;
    const source = new EventSource(`/api/consults/${consultId}/events?after=${startAt.current}`);
    let seen = startAt.current;
    const receive = (msg: MessageEvent<string>) => {
      let parsed: StreamEvent;
      try {
        parsed = streamEvent.parse(JSON.parse(msg.data));
      } catch {
        return;
      }
      if (parsed.seq <= seen) return; // never apply an event twice
      seen = parsed.seq;
      startAt.current = parsed.seq;
      handler.current(parsed);
    };
    for (const kind of eventKind.options) source.addEventListener(kind, receive);
    source.addEventListener("revoked", () => {
      source.close();
      setStatus("closed");
      handler.current({ seq: seen, kind: "admission", type: "revoked", from: null, to: null, payload: {}, at: new Date().toISOString() });
    });
    source.onopen = () => setStatus("open");
    source.onerror = () => setStatus(source.readyState === EventSource.CLOSED ? "closed" : "reconnecting");
    return () => source.close();
  }, [consultId, enabled]);

  return enabled ? status : "closed";
}
