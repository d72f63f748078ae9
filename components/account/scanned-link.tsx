"use client";

import { useSyncExternalStore } from "react";
import { parseLinkFragment } from "@/lib/client/devices/linking";
import { DevicesPanel } from "./devices-panel";

const noSubscribe = () => () => undefined;

/** The devices panel with the code and anchor of a scanned QR code (its URL fragment, never sent to the server). */
export function ScannedLink({ userId, openConsultIds }: { userId: string; openConsultIds: string[] }) {
  // null on the server and while hydrating: the panel mounts once, with the fragment in hand.
  const hash = useSyncExternalStore<string | null>(
    noSubscribe,
    () => window.location.hash,
    () => null,
  );
  if (hash === null) return <p className="px-5 py-4 text-sm text-slate-600">Loading…</p>;
  const { code, anchor } = parseLinkFragment(hash);
  return <DevicesPanel userId={userId} openConsultIds={openConsultIds} initialCode={code} anchor={anchor} />;
}
