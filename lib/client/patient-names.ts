"use client";
// Sealed patient names on the doctor's device (PROTOCOL §6). The doctor's device keeps one ECDH key
// N per consult in IndexedDB and puts its public half, with the anchor of its own identity, in the
// invite link's fragment; the patient's join page seals the typed name to it; only this device
// opens it. The server, the admin and the logs see "Patient" and the participant id.
import { cryptoAvailable, decodeSealedName, doctorAnchor, generateEcdhKey, inviteFragment, openName, parseInviteFragment, sealName, encodeSealedName } from "@/lib/crypto";
import { useEffect, useState, useSyncExternalStore } from "react";
import { parleyDb } from "./parley-db";
import { browserPins } from "./device-identity";
import { rememberAnchor } from "./trust";

const keyOf = (userId: string, consultId: string) => `${userId}|${consultId}`;

/** This device's name key for the consult, made on first need. */
async function nameKeyFor(userId: string, consultId: string) {
  const db = await parleyDb();
  const held = await db.get("nameKeys", keyOf(userId, consultId));
  if (held) return held;
  const k = await generateEcdhKey();
  const stored = { consult: keyOf(userId, consultId), privateKey: k.privateKey, spki: k.spki, createdAt: Date.now() };
  // Two tabs racing: the first key written wins, and both use it.
  try {
    await db.add("nameKeys", stored);
    return stored;
  } catch {
    return (await db.get("nameKeys", keyOf(userId, consultId))) ?? stored;
  }
}

/** The invite link's fragment (without "#") for a consult of this doctor's, whose identity is `identitySpki`. */
export async function inviteLinkFragment(userId: string, consultId: string, identitySpki: Uint8Array): Promise<string> {
  const k = await nameKeyFor(userId, consultId);
  return inviteFragment({ nameKey: k.spki, doctor: await doctorAnchor(identitySpki) });
}

export type NameMissing = "no-key" | "unreadable";
export type OpenedName = { name: string } | { missing: NameMissing };

/** What the doctor's device shows for a patient whose sealed name it cannot open, and why. */
export const NAME_MISSING: Record<NameMissing, string> = {
  "no-key": "Patient (name not on this device)",
  unreadable: "Patient (name could not be read)",
};

/** Opens a patient's sealed name on the doctor's device; says why when it cannot. */
export async function openPatientName(userId: string, consultId: string, p: { inviteId: string; sealedName: string }): Promise<OpenedName> {
  const db = await parleyDb();
  // This device's own key, then one restored from a backup (PROTOCOL §7), which opens names only.
  const held = [await db.get("nameKeys", keyOf(userId, consultId)), await db.get("nameKeys", `${keyOf(userId, consultId)}|restored`)].filter((k) => k !== undefined);
  if (held.length === 0) return { missing: "no-key" };
  for (const k of held) {
    try {
      return { name: await openName(decodeSealedName(p.sealedName), k, consultId, p.inviteId) };
    } catch {
      // the other key, if any
    }
  }
  return { missing: "unreadable" };
}

/**
 * The join page: the name sealed to the N in the link's fragment, or undefined when the link has
 * no usable fragment (the name then stays on the patient's device). The doctor's anchor from the
 * same fragment is kept for the call's trust (lib/client/trust.ts).
 */
export async function sealNameForLink(hash: string, name: string, consultId: string, inviteId: string): Promise<string | undefined> {
  const fragment = parseInviteFragment(hash);
  if (!fragment) return undefined;
  await rememberAnchor(browserPins, consultId, fragment.doctor);
  return encodeSealedName(await sealName(name, fragment.nameKey, consultId, inviteId));
}

/** The name the doctor's device shows for a patient (the dashboard): opened, or why not. */
export function usePatientName(userId: string, consultId: string, p: { displayName: string; sealed: { inviteId: string; sealedName: string } | null }): OpenedName | undefined {
  const [opened, setOpened] = useState<OpenedName>();
  const { inviteId, sealedName } = p.sealed ?? {};
  useEffect(() => {
    if (!inviteId || !sealedName) return;
    let live = true;
    void openPatientName(userId, consultId, { inviteId, sealedName }).then((o) => live && setOpened(o));
    return () => {
      live = false;
    };
  }, [userId, consultId, inviteId, sealedName]);
  return opened;
}

const onHashChange = (listener: () => void) => {
  window.addEventListener("hashchange", listener);
  return () => window.removeEventListener("hashchange", listener);
};

/** Whether the join page can seal the name: "sealed", or why not (undefined while rendered on the server). */
export type NameSealing = "sealed" | "no-fragment" | "no-crypto";

export function useNameSealing(): NameSealing | undefined {
  return useSyncExternalStore<NameSealing | undefined>(
    onHashChange,
    () => (!cryptoAvailable() ? "no-crypto" : parseInviteFragment(window.location.hash) ? "sealed" : "no-fragment"),
    () => undefined,
  );
}
