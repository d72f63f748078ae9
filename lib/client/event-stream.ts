// The browser end of the consult's event stream: one EventSource per room, resuming by itself
// with Last-Event-ID after a drop, opened again (from the last event applied) when the browser
// gives up on it, and at once when the server ends a stream by plan (`reconnect`). Events are parsed with the shared schema; anything malformed
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
    let source: EventSource | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    let delay = 1_000;
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
    // EventSource retries a dropped stream by itself (with Last-Event-ID), but gives up for good
    // after an error answer or a failed first connection: then a new one resumes from the last
    // event applied, a little later each time.
    const open = () => {
      const s = new EventSource(`/api/consults/${consultId}/events?after=${seen}`);
      source = s;
      for (const kind of eventKind.options) s.addEventListener(kind, receive);
      s.addEventListener("revoked", () => {
        stopped = true;
        s.close();
        setStatus("closed");
        handler.current({ seq: seen, kind: "admission", type: "revoked", from: null, to: null, payload: {}, at: new Date().toISOString() });
      });
      // The server ends each stream by plan (its time limit, a restart) and says so first: open the
      // next one now, from the last event applied, without showing "reconnecting".
      s.addEventListener("reconnect", () => {
        if (stopped || source !== s) return;
        s.close();
        open();
      });
      s.onopen = () => {
        delay = 1_000;
        setStatus("open");
      };
      s.onerror = () => {
        if (stopped) return;
        setStatus("reconnecting");
        if (s.readyState !== EventSource.CLOSED) return;
        s.close();
        timer = setTimeout(open, delay);
        delay = Math.min(delay * 2, 10_000);
      };
    };
    open();
    return () => {
      stopped = true;
      clearTimeout(timer);
      source?.close();
    };
  }, [consultId, enabled]);

  return enabled ? status : "closed";
}
