"use client";
// Ties a CallSession (lib/rtc/call.ts) to the room: starts it when both people are in the consult
// and local media is settled, feeds it the other participant's signals from the room's event
// stream, posts its messages as signals, says bye when the page goes away.
import { useCallback, useEffect, useRef, useState } from "react";
import type { ClientSettings } from "@/lib/shared/settings";
import type { StreamEvent } from "@/lib/shared/api";
import { CallSession, type CallSnapshot } from "@/lib/rtc/call";
import type { Quality } from "@/lib/rtc/quality";
import type { DeviceKeys } from "@/lib/rtc/handshake";
import { trustFor } from "./device-identity";
import { callInProgress } from "./idle-logoff";
import { ownerConsultKey, storeReceivedKey } from "./consult-keys";
import { parseCallMessage, toSignal, type ChainHeadMessage } from "@/lib/rtc/messages";
import { consultActions, signalOnUnload } from "./consults";

/** Hands some of the room's events to whoever listens (the call: signals; the chat: messages, presence). */
export class SignalBus {
  private readonly listeners = new Set<(e: StreamEvent) => void>();
  emit(e: StreamEvent): void {
    for (const fn of this.listeners) fn(e);
  }
  listen(fn: (e: StreamEvent) => void): () => void {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }
}

export function useSignalBus(): SignalBus {
  const [bus] = useState(() => new SignalBus());
  return bus;
}

/**
 * ICE servers for this consult's peer connections: STUN from the settings; with TURN, the server's
 * answer (STUN too, and TURN with a credential that expires within the hour), asked for again
 * five minutes before it expires.
 */
export function iceConfigFor(consultId: string, settings: ClientSettings): { current(): Promise<RTCConfiguration> } {
  // A request in flight is shared: the session asks once when it starts (so the credential is at
  // hand when the peer is created after the handshake) and again for each peer and ICE restart.
  let cached: { config: Promise<RTCConfiguration>; until: number } | undefined;
  return {
    current() {
      if (!settings.turnEnabled) {
        return Promise.resolve({ iceServers: settings.stunUrls.length > 0 ? [{ urls: settings.stunUrls }] : [], iceTransportPolicy: settings.iceTransportPolicy });
      }
      if (cached && Date.now() < cached.until) return cached.config;
      const pending = consultActions.iceServers(consultId).then((a) => {
        const config: RTCConfiguration = { iceServers: a.iceServers, iceTransportPolicy: a.iceTransportPolicy };
        cached = { config: Promise.resolve(config), until: a.expiresAt ? Date.parse(a.expiresAt) - 5 * 60_000 : Number.POSITIVE_INFINITY };
        return config;
      });
      cached = { config: pending, until: Number.POSITIVE_INFINITY };
      pending.catch(() => {
        if (cached?.config === pending) cached = undefined; // the next peer or restart asks again
      });
      return pending;
    },
  };
}

type UseCallOptions = {
  consultId: string;
  /** the signed-in user (device trust is kept per user) */
  userId: string;
  /** this device's identity, registered (no call without it: nothing is sent unencrypted) */
  keys: DeviceKeys | undefined;
  /** the other person in the call, when both are in the consult */
  other: { id: string; userId: string } | undefined;
  initiator: boolean;
  settings: ClientSettings;
  local: { stream?: MediaStream; settled: boolean };
  signals: SignalBus;
  /** the peer's chat chain head arrived over the data channel */
  onChainHead?: (head: ChainHeadMessage) => void;
};

const START: CallSnapshot = { state: "waiting", e2ee: { status: "handshaking", confirmedByMe: false, confirmedByPeer: false, dtlsChecked: false } };

export function useCall({ consultId, userId, keys, other, initiator, settings, local, signals, onChainHead }: UseCallOptions) {
  const [snapshot, setSnapshot] = useState<CallSnapshot>(START);
  const [muted, setMuted] = useState(false);
  const [cameraOff, setCameraOff] = useState(false);
  const [quality, setQuality] = useState<Quality>();
  const session = useRef<CallSession | null>(null);
  const otherId = other?.id;
  const otherUserId = other?.userId;
  const hadOther = useRef(false);
  const chainHeadHandler = useRef(onChainHead);
  useEffect(() => {
    chainHeadHandler.current = onChainHead;
  }, [onChainHead]);
  /** this device's chat chain head, handed to every call session (the current one and the next) */
  const myHead = useRef<Omit<ChainHeadMessage, "type">>(undefined);

  useEffect(() => {
    if (!otherId || !otherUserId || !local.settled || !keys) {
      // The other person left the consult without a bye (closed the tab while offline, removed).
      if (hadOther.current && !otherId) setSnapshot({ ...START, state: "ended", problem: "peer-left" });
      return;
    }
    hadOther.current = true;
    const ice = iceConfigFor(consultId, settings);
    ice.current().catch(() => undefined); // early; a failure is retried when the peer needs it
    const call = new CallSession({
      initiator,
      consultId,
      keys,
      trust: trustFor(userId, otherUserId),
      consultKeys: initiator
        ? { role: "owner", current: () => ownerConsultKey(userId, consultId) }
        : { role: "recipient", receive: (k) => storeReceivedKey(userId, consultId, k) },
      rtcConfig: () => ice.current(),
      onMismatch: () => void consultActions.reportMismatch(consultId).catch(() => undefined),
      send: async (msg) => {
        await consultActions.signal(consultId, { to: otherId, ...toSignal(msg) });
      },
      onChange: setSnapshot,
      trustOnFirstUse: settings.trustOnFirstUse,
      onChainHead: (h) => chainHeadHandler.current?.(h),
    });
    session.current = call;
    if (myHead.current) call.setChainHead(myHead.current);
    const stopListening = signals.listen((e) => {
      if (e.kind !== "signal" || e.from !== otherId) return;
      const msg = parseCallMessage(e.type, e.payload);
      if (msg) call.receive(msg);
    });
    call.start(local.stream);
    const onPageHide = () => call.pageHide((msg) => signalOnUnload(consultId, { to: otherId, ...toSignal(msg) }));
    window.addEventListener("pagehide", onPageHide);
    return () => {
      window.removeEventListener("pagehide", onPageHide);
      stopListening();
      session.current = null;
      call.dispose();
    };
  }, [consultId, userId, keys, otherId, otherUserId, initiator, settings, local.settled, local.stream, signals]);

  // Connection quality every 2 s while a connection exists.
  const live = snapshot.state === "connected" || snapshot.state === "reconnecting";
  // A call in progress keeps the doctor signed in (idle logoff counts it as activity).
  useEffect(() => {
    callInProgress.set(live);
    return () => callInProgress.set(false);
  }, [live]);
  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => {
      void session.current
        ?.quality()
        .then(setQuality)
        .catch(() => undefined);
    }, 2_000);
    return () => clearInterval(timer);
  }, [live]);

  const toggleMute = useCallback(() => {
    setMuted((m) => {
      session.current?.setLocalEnabled("audio", m);
      return !m;
    });
  }, []);
  const toggleCamera = useCallback(() => {
    setCameraOff((off) => {
      session.current?.setLocalEnabled("video", off);
      return !off;
    });
  }, []);

  return {
    snapshot,
    /** the connection's quality (undefined before the first sample or without a connection) */
    quality: live ? quality : undefined,
    muted,
    cameraOff,
    toggleMute,
    toggleCamera,
    retry: useCallback(() => session.current?.retry(), []),
    replaceTrack: useCallback(async (kind: "audio" | "video", track: MediaStreamTrack) => {
      await session.current?.replaceTrack(kind, track);
    }, []),
    shareScreen: useCallback((track: MediaStreamTrack | undefined) => session.current?.shareScreen(track), []),
    confirm: useCallback(() => session.current?.confirm(), []),
    mismatch: useCallback(() => session.current?.mismatch(), []),
    acknowledgeKeyChange: useCallback(() => session.current?.acknowledgeKeyChange(), []),
    hangUp: useCallback(() => session.current?.hangUp(), []),
    setChainHead: useCallback((head: Omit<ChainHeadMessage, "type">) => {
      myHead.current = head;
      session.current?.setChainHead(head);
    }, []),
  };
}
