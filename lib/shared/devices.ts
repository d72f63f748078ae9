// zod schemas for a person's devices and for linking a new one (PROTOCOL §7.2), shared by the
// route handlers and the browser. The server relays the link's handshake messages without reading
// them: it checks their shape, who sends them, and the link's state.
import { z } from "zod";
import { callMessage, sessionId } from "@/lib/rtc/messages";
import { b64url, uuid } from "./api";

/** An ECDH P-256 public key (SPKI, 91 bytes) */
const spki = b64url(122, 122);

/** A link's code: 10 base32 characters (RFC 4648 alphabet), as typed (case and spaces ignored). */
export const LINK_CODE_LENGTH = 10;
export const linkCode = z
  .string()
  .max(40)
  .transform((s) => s.replace(/[\s-]/g, "").toUpperCase())
  .pipe(z.string().regex(/^[A-Z2-7]{10}$/, "a code of 10 letters and digits"));

/** One of the person's devices, as the device list shows it. */
export const deviceInfo = z.object({
  id: uuid,
  /** SPKI of the identity key (ECDSA P-256) */
  identityKey: z.string(),
  /** SHA-256 of the identity SPKI */
  fingerprint: z.string(),
  boxKey: z.string().nullable(),
  boxKeySig: z.string().nullable(),
  label: z.string().nullable(),
  createdAt: z.string(),
  lastSeenAt: z.string(),
  linkedAt: z.string().nullable(),
});
export type DeviceInfo = z.infer<typeof deviceInfo>;
export const deviceListAnswer = z.object({ devices: z.array(deviceInfo) });

/** A device's box key, signed by its identity (label parley/v1/box-key). */
export const boxKeyBody = z.object({ boxKey: spki, sig: b64url(86, 86) }).strict();

/** The device making the request (one of the caller's active devices). */
export const fromDeviceBody = z.object({ deviceId: uuid }).strict();

export const newLinkAnswer = z.object({ id: uuid, code: z.string(), expiresAt: z.string() });

export const joinLinkBody = z.object({ code: linkCode, deviceId: uuid }).strict();
export const joinLinkAnswer = z.object({ id: uuid, fromDeviceId: uuid, expiresAt: z.string() });

/**
 * The messages two devices exchange on a link: the call's commit, reveal and confirm (PROTOCOL §2),
 * and the key holder's grant, sealed under the pairwise key (PROTOCOL §7.2).
 */
const grant = z.object({ type: z.literal("grant"), sid: sessionId, to: sessionId, iv: b64url(16, 16), ct: b64url(140, 150) }).strict();
export const linkMessage = z.discriminatedUnion("type", [callMessage.options[0].strict(), callMessage.options[1].strict(), callMessage.options[2].strict(), grant]);
export type LinkMessage = z.infer<typeof linkMessage>;

export const linkMessageBody = z.object({ deviceId: uuid, message: linkMessage }).strict();

export const linkState = z.enum(["open", "joined", "linked", "failed", "cancelled"]);
export type LinkState = z.infer<typeof linkState>;

export const linkEventsAnswer = z.object({
  state: linkState,
  fromDeviceId: uuid,
  toDeviceId: uuid.nullable(),
  expiresAt: z.string(),
  messages: z.array(z.object({ seq: z.number().int(), from: uuid, message: z.unknown() })),
});

/** How a link ended, as the device that says so saw it. */
export const finishLinkBody = z.object({ deviceId: uuid, outcome: z.enum(["linked", "mismatch", "cancelled"]) }).strict();

export const idParams = z.object({ id: uuid });
export const linkReadQuery = z.object({ deviceId: uuid, after: z.coerce.number().int().min(0).max(1_000_000).default(0) }).strict();
