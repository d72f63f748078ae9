// zod schemas and types for every route's input and output, shared by route handlers and the
// browser. Route handlers parse with these; lib/client uses the inferred types.
import { z } from "zod";

export const uuid = z.uuid();

export const consultParams = z.object({ id: uuid });
export const inviteParams = z.object({ id: uuid, inviteId: uuid });

/** Invite tokens: 32 random-looking bytes, base64url (43 characters). */
export const inviteToken = z.string().regex(/^[A-Za-z0-9_-]{43}$/, "not an invite token");
export const tokenParams = z.object({ token: inviteToken });

export const displayName = z
  .string()
  .transform((s) => s.normalize("NFC").replace(/\s+/g, " ").trim())
  .pipe(z.string().min(1, "Enter your name").max(80, "Use at most 80 characters"));

export const createConsultBody = z.object({ scheduledAt: z.iso.datetime({ offset: true }).optional() }).strict();

export const admitBody = z.object({ participantId: uuid }).strict();

export const signalType = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, "lower-case word, at most 32 characters");

/** A signaling message relayed as is. The server never interprets the payload. */
export const signalBody = z
  .object({
    to: uuid.optional(),
    type: signalType,
    payload: z.record(z.string(), z.json()),
  })
  .strict();

export const eventsQuery = z.object({
  after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});

/** A device's identity public key (ECDSA P-256 SPKI, 91 bytes), base64url. */
export const registerDeviceBody = z.object({ identityKey: z.string().regex(/^[A-Za-z0-9_-]{120,124}$/, "an SPKI public key, base64url") }).strict();
export const registerDeviceAnswer = z.object({ deviceId: uuid, fingerprint: z.string() });

/**
 * What a browser reports about a consult's encryption, for the audit trail (the server cannot see
 * it happen; the docs call these rows the client's claim): the codes differed, both sides confirmed
 * them, the person accepted a changed key, the doctor's device sent the consult key on trust.
 */
export const e2eeReport = z.enum(["mismatch", "verified", "key_change_acknowledged", "keys_sent_on_trust"]);
export type E2eeReport = z.infer<typeof e2eeReport>;
export const verificationBody = z.object({ result: e2eeReport }).strict();
/** The doctor's browser exported the transcript: how many messages it held (never which). */
export const transcriptReportBody = z.object({ messages: z.number().int().min(0).max(1_000_000) }).strict();

export const b64url = (min: number, max: number) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]*$/, "base64url")
    .min(min)
    .max(max);

/**
 * A message id as the sending client makes it: a random UUID v4, which tells the server nothing (a
 * v7 from an earlier version, still waiting in some outbox, carries its send time and is taken too).
 */
export const messageId = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[47][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, "a UUID v4");

/** A sealed chat message as the server stores it (PROTOCOL §4): ids, seq and ciphertext only. */
export const postMessageBody = z
  .object({
    id: messageId,
    senderDeviceId: uuid,
    seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    keyId: b64url(22, 22),
    iv: b64url(16, 16),
    /** padded to 256 B … 16 KiB buckets plus the tag; larger messages are not chat */
    ciphertext: b64url(363, 43_712),
  })
  .strict();

/**
 * A stored message as participants receive it (in the list and inside the `message`/`new` event).
 * `senderUserId` and `senderIdentityKey` are the server's claim of who holds the sender device; a
 * receiver uses the key only if it equals the one it pinned for that person, so a lying server can
 * make a message unverifiable, never make a forgery verify.
 */
export type PostMessageBody = z.infer<typeof postMessageBody>;

export const storedMessage = postMessageBody.extend({
  createdAt: z.string(),
  senderUserId: uuid,
  senderIdentityKey: b64url(120, 124),
});
export type StoredMessage = z.infer<typeof storedMessage>;
export const messagesAnswer = z.object({ messages: z.array(storedMessage) });

/** "I have decrypted (delivered) / shown (read) every message of that device up to `seq`." */
export const messageReceiptBody = z
  .object({
    senderDeviceId: uuid,
    seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    state: z.enum(["delivered", "read"]),
  })
  .strict();
export type MessageReceipt = z.infer<typeof messageReceiptBody>;

// ---- documents (PROTOCOL §5): the server sees opaque ids and the ciphertext length only ----

const MiB = 1024 * 1024;
/** A multipart part's size: S3 wants at least 5 MiB for every part but the last. */
export const FILE_PART = { min: 5 * MiB, max: 64 * MiB, maxParts: 10_000, urlsPerRequest: 100 } as const;

export const fileParams = z.object({ id: uuid, fileId: uuid });

/** Starts an upload: `fileId` is the random id the sender's AAD binds (a fresh UUID per attempt). */
export const createFileBody = z
  .object({
    fileId: uuid,
    /** ciphertext bytes (plaintext plus 16 per chunk) */
    size: z.number().int().min(16).max(Number.MAX_SAFE_INTEGER),
    partSize: z.number().int().min(FILE_PART.min).max(FILE_PART.max),
  })
  .strict();

export const filePartsBody = z
  .object({ parts: z.array(z.number().int().min(1).max(FILE_PART.maxParts)).min(1).max(FILE_PART.urlsPerRequest) })
  .strict()
  .refine((b) => new Set(b.parts).size === b.parts.length, "part numbers must be distinct");

export const completeFileBody = z
  .object({
    parts: z
      .array(z.object({ partNumber: z.number().int().min(1).max(FILE_PART.maxParts), etag: z.string().min(1).max(200) }).strict())
      .min(1)
      .max(FILE_PART.maxParts),
  })
  .strict();

export const fileStatus = z.enum(["uploading", "ready", "failed", "aborted"]);
export const fileView = z.object({
  id: uuid,
  uploaderParticipantId: uuid,
  status: fileStatus,
  /** ciphertext bytes */
  size: z.number().int(),
  partCount: z.number().int(),
  createdAt: z.string(),
  completedAt: z.string().nullable(),
});
export type FileView = z.infer<typeof fileView>;
export const fileAnswer = z.object({ file: fileView });
export const filesAnswer = z.object({ files: z.array(fileView) });
export const filePartsAnswer = z.object({ urls: z.array(z.object({ partNumber: z.number().int(), url: z.string() })), expiresAt: z.string() });
export const fileDownloadAnswer = z.object({ file: fileView, url: z.string(), expiresAt: z.string() });

/** This participant's presence as its page sees it: the tab shown or hidden, typing or not. */
export const presenceBody = z.object({ status: z.enum(["online", "away"]), typing: z.boolean() }).strict();
export type PresenceUpdate = z.infer<typeof presenceBody>;

/**
 * The patient's name sealed to the doctor's name key (PROTOCOL §6, lib/crypto/sealed-name.ts):
 * base64url of a fixed length. The server stores it and never reads it.
 */
export const sealedName = z.string().regex(/^[A-Za-z0-9_-]{516}$/, "a sealed name");

/** Joining with an invite: the name only ever sealed (absent when the link lost its fragment). */
export const guestJoinBody = z.object({ token: inviteToken, sealedName: sealedName.optional() }).strict();

/** How a patient appears to the server and to everyone but the doctor's device. */
export const PATIENT_LABEL = "Patient";

export const staffSignInBody = z.object({
  email: z.string().trim().toLowerCase().pipe(z.email()),
  password: z.string().min(1).max(1024),
});

// ---- answers ----

export const eventKind = z.enum(["signal", "presence", "admission", "consult", "message", "file"]);
export type EventKind = z.infer<typeof eventKind>;

/** One event as the stream sends it in `data:`; its `seq` is also the SSE `id:`. */
export const streamEvent = z.object({
  seq: z.number().int(),
  kind: eventKind,
  type: z.string(),
  from: z.string().nullable(),
  to: z.string().nullable(),
  payload: z.json(),
  at: z.string(),
});
export type StreamEvent = z.infer<typeof streamEvent>;

export const participantRole = z.enum(["doctor", "patient"]);
export const participantState = z.enum(["waiting", "admitted", "left", "removed"]);
export const consultStatus = z.enum(["scheduled", "open", "ended", "cancelled"]);

export const participantView = z.object({
  id: uuid,
  /** the participant's user (a hint: which person a device claims to be, for key pinning) */
  userId: uuid,
  role: participantRole,
  state: participantState,
  displayName: z.string(),
  online: z.boolean(),
  /** patients: the invite they joined with (the sealed name is bound to it; the doctor removes them by it) */
  inviteId: uuid.optional(),
  /** doctor's snapshot only: the patient's sealed name, for the doctor's device to open */
  sealedName: sealedName.optional(),
});
export type ParticipantView = z.infer<typeof participantView>;

export const inviteAnswer = z.object({
  id: uuid,
  url: z.string(),
  expiresAt: z.string(),
  /** live: can be used; used: a patient joined with it; expired: too old */
  state: z.enum(["live", "used", "expired"]),
});

export const roomSnapshot = z.object({
  /** the caller's user id (device identities are kept per user in the browser) */
  userId: uuid,
  consult: z.object({
    id: uuid,
    status: consultStatus,
    scheduledAt: z.string(),
    doctorName: z.string(),
  }),
  me: participantView,
  participants: z.array(participantView),
  /** the log head when the snapshot was taken: open the stream with ?after= this */
  lastSeq: z.number().int(),
  /** owner only, while no patient has been admitted: the latest invite that was not withdrawn */
  invite: inviteAnswer.nullable(),
  /**
   * The clinic's records key (PROTOCOL §7.4), for the doctor's device: it seals each consult key to
   * it and says the clinic holds a copy. Null for patients and when the clinic has none.
   */
  recordsKey: z.object({ id: uuid, publicKey: z.string(), fingerprint: z.string() }).nullable(),
});
export type RoomSnapshot = z.infer<typeof roomSnapshot>;

/** ICE servers for RTCPeerConnection: STUN, and TURN with a short-lived credential. */
export const iceServersAnswer = z.object({
  iceServers: z.array(z.object({ urls: z.array(z.string()), username: z.string().optional(), credential: z.string().optional() })),
  iceTransportPolicy: z.enum(["all", "relay"]),
  /** when the TURN credential stops working (null without TURN) */
  expiresAt: z.string().nullable(),
});
export type IceServersAnswer = z.infer<typeof iceServersAnswer>;

export const createConsultAnswer = z.object({ id: uuid, url: z.string() });
export const guestJoinAnswer = z.object({ consultId: uuid });

export const apiError = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});
