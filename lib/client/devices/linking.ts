"use client";
// Linking a second device in the browser (PROTOCOL §7.2): the LinkSession (link-session.ts) over the
// server's link routes, and what each side does once the other's identity is verified: the holder
// pins the new device's box key (checked against the identity it verified) and seals every key it
// holds to it; the new device pins the holder's box key and the backup key the grant names, then
// opens the copies sealed to it. Keys from copies are for reading only (PROTOCOL §7.1).
import { equal, fromBase64Url, sha256, toBase64Url, verifyBoxKey, type BoxKey } from "@/lib/crypto";
import type { VerifiedPeer } from "@/lib/rtc/handshake";
import { deviceListAnswer, joinLinkAnswer, linkEventsAnswer, newLinkAnswer, type LinkMessage } from "@/lib/shared/devices";
import { api } from "../api";
import { ensureBoxKey } from "../device-box-key";
import { browserPins } from "../device-identity";
import { backupPinKey, copyHeldKeys, linkedDevicePinKey, openCopies, ownDevicePinKey, pinnedBackupKey } from "../key-copies";
import type { DeviceIdentity } from "../parley-db";
import { LinkSession, type LinkPorts, type LinkRole, type LinkView } from "./link-session";

export type RegisteredIdentity = DeviceIdentity & { deviceId: string };

/** The QR code's URL: the code, and the first 16 bytes of SHA-256 of this device's identity (PROTOCOL §7.2). */
export async function linkUrl(origin: string, code: string, identitySpki: Uint8Array): Promise<string> {
  const f = toBase64Url((await sha256(identitySpki)).slice(0, 16));
  return `${origin}/devices/link#c=${encodeURIComponent(code)}&f=${f}`;
}

/** What a scanned link's fragment carries. */
export function parseLinkFragment(hash: string): { code?: string; anchor?: Uint8Array } {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const code = params.get("c") ?? undefined;
  const f = params.get("f");
  let anchor: Uint8Array | undefined;
  try {
    anchor = f ? fromBase64Url(f) : undefined;
  } catch {
    anchor = undefined;
  }
  return { code, anchor: anchor?.length === 16 ? anchor : undefined };
}

/** The other device's box key from the server's list, only if the identity this device verified signed it. */
async function verifiedBoxKey(userId: string, peer: VerifiedPeer): Promise<Uint8Array> {
  const { devices } = await api.get("/api/devices", deviceListAnswer);
  const d = devices.find((x) => x.id === peer.deviceId);
  if (!d?.boxKey || !d.boxKeySig) throw new Error("the other device has no box key on the server");
  const boxKey = fromBase64Url(d.boxKey);
  if (!(await verifyBoxKey(peer.identity, fromBase64Url(d.boxKeySig), userId, peer.deviceId, boxKey))) throw new Error("the other device's box key is not signed by the device you verified");
  return boxKey;
}

/** Remembers a device of this person verified over a link: its identity and its box key. */
async function pinDevice(userId: string, peer: VerifiedPeer, boxKey: Uint8Array): Promise<void> {
  await browserPins.put(ownDevicePinKey(userId, peer.deviceId), { spki: new Uint8Array(peer.identity), verified: true });
  await browserPins.put(linkedDevicePinKey(userId, peer.deviceId), { spki: new Uint8Array(boxKey), verified: true });
}

function ports(linkId: string, deviceId: string): Pick<LinkPorts, "post" | "read" | "finish" | "sleep"> {
  return {
    post: async (message: LinkMessage) => void (await api.post(`/api/devices/links/${linkId}/messages`, { deviceId, message })),
    read: (after) => api.get(`/api/devices/links/${linkId}?deviceId=${deviceId}&after=${after}`, linkEventsAnswer),
    finish: async (outcome) => void (await api.post(`/api/devices/links/${linkId}/finish`, { deviceId, outcome })),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  };
}

export type LinkResult = { copied?: number; opened?: { consults: number; keys: number } };

function session(role: LinkRole, linkId: string, identity: RegisteredIdentity, boxKey: BoxKey, onChange: (v: LinkView, r: LinkResult) => void, anchor?: Uint8Array): LinkSession {
  const userId = identity.userId;
  const result: LinkResult = {};
  let boxOfPeer: Uint8Array | undefined;
  const s: LinkSession = new LinkSession({
    role,
    linkId,
    anchor,
    keys: { privateKey: identity.privateKey, spki: identity.spki, deviceId: identity.deviceId },
    onChange: (v) => onChange(v, result),
    ports: {
      ...ports(linkId, identity.deviceId),
      verifiedJoiner: async (peer) => {
        boxOfPeer = await verifiedBoxKey(userId, peer);
        await pinDevice(userId, peer, boxOfPeer);
        const backup = await pinnedBackupKey(userId);
        return backup ? { backupSpki: backup } : {};
      },
      sendKeys: async (peer) => {
        if (!boxOfPeer) throw new Error("no verified box key");
        const to = { to: { kind: "device" as const, userId, deviceId: peer.deviceId }, spki: boxOfPeer, body: { recipient: "device" as const, recipientId: peer.deviceId } };
        result.copied = (await copyHeldKeys(userId, identity.deviceId, { only: to })).copied;
      },
      granted: async (peer, grant) => {
        await pinDevice(userId, peer, await verifiedBoxKey(userId, peer));
        // The backup key the holder vouches for, unless this device pinned one already (then the person restores to change it).
        if (grant.backupSpki) {
          const mine = await pinnedBackupKey(userId);
          if (!mine) await browserPins.put(backupPinKey(userId), { spki: new Uint8Array(grant.backupSpki), verified: true });
          else if (!equal(mine, grant.backupSpki)) console.warn("[parley] the linked device seals to another backup key than this one");
        }
      },
      receiveKeys: async () => {
        result.opened = await openCopies(userId, { kind: "device", deviceId: identity.deviceId, key: boxKey });
      },
    },
  });
  return s;
}

/** "Add a device" on a device that holds keys: a new link, its code and QR URL, and the session to run. */
export async function addDevice(identity: RegisteredIdentity, origin: string, onChange: (v: LinkView, r: LinkResult) => void) {
  const boxKey = await ensureBoxKey(identity);
  const link = await api.post("/api/devices/links", { deviceId: identity.deviceId }, newLinkAnswer);
  return { code: link.code, expiresAt: link.expiresAt, url: await linkUrl(origin, link.code, identity.spki), session: session("holder", link.id, identity, boxKey, onChange) };
}

/** The new device joins with the code (typed, or from a scanned QR with the holder's anchor). */
export async function joinDevice(identity: RegisteredIdentity, code: string, onChange: (v: LinkView, r: LinkResult) => void, anchor?: Uint8Array) {
  const boxKey = await ensureBoxKey(identity);
  const link = await api.post("/api/devices/links/join", { code, deviceId: identity.deviceId }, joinLinkAnswer);
  return { session: session("joiner", link.id, identity, boxKey, onChange, anchor) };
}
