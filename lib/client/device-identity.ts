"use client";
// This browser profile's identity for a user (PROTOCOL §1): an ECDSA P-256 key pair created on
// first use, the private key a non-extractable CryptoKey kept in IndexedDB (it never leaves the
// device), registered with the server as a device of the user. One identity per user per
// profile, so a doctor testing their own invite link in the same browser stays two devices.
import { useEffect, useState } from "react";
import { cryptoAvailable, fingerprint, generateSigningKey, safetyNumber, toBase64Url, toHex } from "@/lib/crypto";
import { api, ClientApiError } from "./api";
import { registerDeviceAnswer } from "@/lib/shared/api";
import { parleyDb, type DeviceIdentity } from "./parley-db";
import { trustWith, type PinStore, type Seat } from "./trust";
import type { Trust } from "@/lib/rtc/call-state";

export { parleyDb };
export type { DeviceIdentity, Pin, StoredConsultKey } from "./parley-db";

const db = parleyDb;

/** The user's identity on this device, created (and stored) on first use. */
export async function loadOrCreateIdentity(userId: string): Promise<DeviceIdentity> {
  const store = await db();
  const found = await store.get("identities", userId);
  if (found) return found;
  const pair = await generateSigningKey();
  const identity: DeviceIdentity = { userId, privateKey: pair.privateKey, publicKey: pair.publicKey, spki: pair.spki, createdAt: Date.now() };
  // add, not put: if another tab created one first, keep theirs
  try {
    await store.add("identities", identity);
    return identity;
  } catch {
    const winner = await store.get("identities", userId);
    if (!winner) throw new Error("could not store this device's identity");
    return winner;
  }
}

/** Registers the identity with the server (idempotent) and remembers the device id. */
export async function registerIdentity(identity: DeviceIdentity): Promise<DeviceIdentity> {
  const { deviceId } = await api.post("/api/devices", { identityKey: toBase64Url(identity.spki) }, registerDeviceAnswer);
  if (identity.deviceId !== deviceId) {
    const updated = { ...identity, deviceId };
    await (await db()).put("identities", updated);
    return updated;
  }
  return identity;
}

export type IdentityState = { status: "unavailable" } | { status: "loading" } | { status: "ready"; identity: DeviceIdentity } | { status: "error"; message: string };

/** Setting up the identity once per page, however many components ask at the same time. */
const settingUp = new Map<string, Promise<IdentityState>>();

export function ensureDeviceIdentity(userId: string): Promise<IdentityState> {
  const pending = settingUp.get(userId);
  if (pending) return pending;
  const p = setUpIdentity(userId).finally(() => settingUp.delete(userId));
  settingUp.set(userId, p);
  return p;
}

async function setUpIdentity(userId: string): Promise<IdentityState> {
  if (!cryptoAvailable()) return { status: "unavailable" };
  try {
    const identity = await loadOrCreateIdentity(userId);
    try {
      return { status: "ready", identity: await registerIdentity(identity) };
    } catch (err) {
      // The server retired this device (the account's device limit, lib/server/devices.ts): this
      // browser becomes a new device with a new identity, as a new browser would.
      if (!(err instanceof ClientApiError) || err.status !== 403 || err.code !== "forbidden") throw err;
      const store = await db();
      await store.delete("identities", userId);
      return { status: "ready", identity: await registerIdentity(await loadOrCreateIdentity(userId)) };
    }
  } catch (err) {
    return { status: "error", message: err instanceof Error ? err.message : "This device's identity could not be set up" };
  }
}

/** The device identity for the signed-in user, set up when the room opens. */
export function useDeviceIdentity(userId: string): IdentityState {
  const [state, setState] = useState<IdentityState>({ status: "loading" });
  useEffect(() => {
    let cancelled = false;
    void ensureDeviceIdentity(userId).then((s) => {
      if (!cancelled) setState(s);
    });
    return () => {
      cancelled = true;
    };
  }, [userId]);
  return state;
}

/** A short, readable form of a fingerprint for people: 4 groups of 4 hex digits. */
export function shortFingerprint(fp: Uint8Array): string {
  return (toHex(fp.subarray(0, 8)).match(/..../g) ?? []).join(" ");
}

export function useFingerprint(identity: DeviceIdentity | undefined): string | undefined {
  const [fp, setFp] = useState<string>();
  useEffect(() => {
    if (identity) void fingerprint(identity.spki).then((b) => setFp(shortFingerprint(b)));
  }, [identity]);
  return fp;
}

/** This browser profile's pins (IndexedDB "pins"), for lib/client/trust.ts. */
export const browserPins: PinStore = {
  get: async (key) => (await db()).get("pins", key),
  put: async (key, pin) => void (await (await db()).put("pins", { ...pin, key, spki: new Uint8Array(pin.spki), pinnedAt: Date.now() })),
  delete: async (key) => (await db()).delete("pins", key),
};

/**
 * The trust a call needs (lib/rtc/call.ts `Trust`) for the counterpart in `seat`: one of our
 * users' pins of that person (the server's user id for them, a hint) and of that seat.
 */
export function trustFor(myUserId: string, peerUserId: string, seat: Seat): Trust {
  return trustWith(browserPins, myUserId, peerUserId, seat);
}

/** The safety number of this device's key and the counterpart's (for comparing away from a call). */
export function useSafetyNumber(mine: Uint8Array | undefined, theirs: Uint8Array | undefined): string | undefined {
  const [n, setN] = useState<string>();
  useEffect(() => {
    if (mine && theirs) void safetyNumber(mine, theirs).then(setN);
  }, [mine, theirs]);
  return mine && theirs ? n : undefined;
}
