"use client";
// The waiting room's connection check: before the call, gather ICE candidates with the consult's
// own STUN/TURN servers and say whether a call can get through — directly, only through the relay,
// or not at all (and why), so a patient learns about a blocking network before the doctor waits.
import { useEffect, useState } from "react";
import type { ClientSettings } from "@/lib/shared/settings";
import { iceConfigFor } from "./room/ice-config";

export type ConnectionCheck = "checking" | "ok" | "relay-only" | "blocked" | "unavailable";

export type CheckResult = { state: ConnectionCheck; detail?: string };

const GATHER_MS = 6_000;

export const NO_ICE_SERVERS =
  "Your device is ready, but this clinic has set up no STUN or TURN server: the call connects only if you and your doctor are on the same network. If it does not connect, tell your clinic.";

/** Gathers candidates on a throwaway connection (no media, no peer) and sorts them by type. */
async function gather(config: RTCConfiguration): Promise<{ types: Set<string>; turnRefused: boolean }> {
  const pc = new RTCPeerConnection(config);
  const types = new Set<string>();
  let turnRefused = false;
  try {
    pc.createDataChannel("check");
    pc.addEventListener("icecandidate", (e) => {
      if (e.candidate?.type) types.add(e.candidate.type);
    });
    pc.addEventListener("icecandidateerror", (e: Event) => {
      const code = (e as RTCPeerConnectionIceErrorEvent).errorCode;
      if (code === 401 || code === 403 || code === 431) turnRefused = true;
    });
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise<void>((resolve) => {
      const done = () => resolve();
      const timer = setTimeout(done, GATHER_MS);
      pc.addEventListener("icegatheringstatechange", () => {
        if (pc.iceGatheringState === "complete") {
          clearTimeout(timer);
          done();
        }
      });
    });
    return { types, turnRefused };
  } finally {
    pc.close();
  }
}

export function useConnectionCheck(consultId: string, settings: ClientSettings, enabled: boolean): CheckResult {
  const [result, setResult] = useState<CheckResult>({ state: "checking" });
  useEffect(() => {
    if (!enabled) return;
    let cancelled = false;
    const run = async (): Promise<CheckResult> => {
      if (typeof RTCPeerConnection === "undefined") return { state: "unavailable", detail: "This browser cannot make video calls: open the link in a current Chrome, Edge, Firefox or Safari." };
      const config = await iceConfigFor(consultId, settings).current();
      const { types, turnRefused } = await gather(config);
      const relay = types.has("relay");
      const direct = types.has("host") || types.has("srflx") || types.has("prflx");
      if (settings.iceTransportPolicy === "relay" || !direct) {
        if (relay) return { state: settings.iceTransportPolicy === "relay" ? "ok" : "relay-only" };
        return {
          state: "blocked",
          detail: turnRefused
            ? "The clinic's relay server refused this device. The call may not connect: tell your clinic."
            : "Your network seems to block video calls and the clinic's relay server could not be reached. Try another network (e.g. mobile data) if the call does not connect.",
        };
      }
      // The server's start warned the clinic; the patient learns it here, before anyone waits.
      if (settings.stunUrls.length === 0 && !settings.turnEnabled) return { state: "ok", detail: NO_ICE_SERVERS };
      return { state: "ok" };
    };
    run().then(
      (r) => !cancelled && setResult(r),
      () => !cancelled && setResult({ state: "blocked", detail: "The connection check could not run. Check your connection." }),
    );
    return () => {
      cancelled = true;
    };
  }, [consultId, settings, enabled]);
  return result;
}
