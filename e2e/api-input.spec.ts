// Bad input, over HTTP against the real server (project pg), from a caller who may use every
// route (the owner doctor): malformed JSON, wrong types, unknown fields (schemas are strict),
// missing fields, non-JSON content types, bodies over 64 KiB (declared and chunked), ids that
// are not UUIDs, bad stream cursors; the admin routes from the admin, the one-time link routes
// from anyone. Each answer is the 4xx it should be with a JSON
// `{ error: { code, message } }` (never a 500), and the request wrote nothing: row counts in
// Consult, Invite, Participant, Event and AuditEvent and a digest of the consult's state are
// the same before and after.
import { newIdentityKey, notAKey, p384IdentityKey, sealedMessageBody } from "./support/keys";
import { randomBytes, randomUUID } from "node:crypto";
import { expect, test } from "@playwright/test";
import { z } from "zod";
import {
  admittedConsult,
  anonymous,
  DEMO_ADMIN,
  DEMO_DOCTOR,
  dispose,
  EventStream,
  expectApiError,
  forgedBlobRequest,
  halfSignedInDoctor,
  newInvite,
  projectBaseURL,
  send,
  sendChunked,
  signInStaff,
  type Actor,
  type Answer,
} from "./support/api";
import { TestDb } from "./support/db";

type World = {
  db: TestDb;
  doctor: Actor;
  admin: Actor;
  anon: Actor;
  /** a doctor account for the admin routes */
  staffId: string;
  /** a doctor whose sign-in waits for the second factor */
  half: Actor;
  patient: Actor;
  consultId: string;
  patientPid: string;
  doctorPid: string;
  /** a live (unused) invite of the consult */
  inviteId: string;
  /** a device registered for the doctor */
  doctorDeviceId: string;
};

let w: World;

const MAX_BODY = 64 * 1024;
const MiB = 1024 * 1024;
const NOT_A_UUID = "not-a-uuid";

type Expected = { status: 400 | 403 | 404 | 413 | 415; code: "malformed_json" | "invalid_input" | "forbidden" | "not_found" | "payload_too_large" | "unsupported_media_type" };
const MALFORMED: Expected = { status: 400, code: "malformed_json" };
const INVALID: Expected = { status: 400, code: "invalid_input" };
const NOT_FOUND: Expected = { status: 404, code: "not_found" };
const TOO_LARGE: Expected = { status: 413, code: "payload_too_large" };
const UNSUPPORTED: Expected = { status: 415, code: "unsupported_media_type" };

type Case = { title: string; run: (x: World) => Promise<Answer>; expected: Expected };

/** A JSON body route: how to reach it, a body it accepts, and the wrong bodies of its own. */
type BodyRoute = {
  name: string;
  path: (x: World, id: string) => string;
  /** false: no :id in the path */
  hasId: boolean;
  valid: (x: World) => Record<string, unknown>;
  wrong: { label: string; body: (x: World) => unknown }[];
  /** who sends (default: the owner doctor) */
  as?: (x: World) => Actor;
  /** the :id a valid call uses (default: the consult's) */
  id?: (x: World) => string;
  /** default POST */
  method?: "POST" | "PUT";
};

const TOKEN = "A".repeat(43);
const asAdmin = (x: World) => x.admin;
const asAnyone = (x: World) => x.anon;
const asHalfSignedIn = (x: World) => x.half;
const staffId = (x: World) => x.staffId;
const unknownField = { label: "an unknown field", body: () => ({ surprise: true }) };
const b64 = (n: number) => randomBytes(n).toString("base64url");
/** A well-formed passphrase backup (PROTOCOL §7.3): a real P-256 public key, the rest random bytes. */
const backupBody = () => ({ publicKey: newIdentityKey(), params: { memoryKiB: 19456, iterations: 2, parallelism: 1 }, salt: b64(16), iv: b64(12), wrapped: b64(154) });
/** A handshake session id (16 bytes) and a well-formed commit on a device link (PROTOCOL §7.2). */
const SID = "A".repeat(22);
const linkCommit = (deviceId: string) => ({ type: "commit", sid: SID, deviceId, c: b64(32), reply: false });
/** A well-formed sealed copy of a consult key for a device (PROTOCOL §7.1). */
const keyCopy = (deviceId: string) => ({ recipient: "device", recipientId: deviceId, kind: "consult", epoch: 0, keyId: b64(16), box: b64(183) });

const BODY_ROUTES: BodyRoute[] = [
  {
    name: "POST /api/setup",
    path: () => "/api/setup",
    hasId: false,
    as: asAnyone,
    valid: () => ({ token: TOKEN, name: "New Admin", email: "new-admin@parley.test", password: "a long enough passphrase" }),
    wrong: [
      { label: "no token", body: () => ({ name: "N", email: "n@parley.test", password: "a long enough passphrase" }) },
      { label: "a token that is too short", body: () => ({ token: "abc", name: "N", email: "n@parley.test", password: "a long enough passphrase" }) },
      { label: "an email that is not one", body: () => ({ token: TOKEN, name: "N", email: "nobody", password: "a long enough passphrase" }) },
      { label: "an empty name", body: () => ({ token: TOKEN, name: "  ", email: "n@parley.test", password: "a long enough passphrase" }) },
      { label: "a password that is a number", body: () => ({ token: TOKEN, name: "N", email: "n@parley.test", password: 123456789012 }) },
      { label: "an unknown field", body: () => ({ token: TOKEN, name: "N", email: "n@parley.test", password: "a long enough passphrase", role: "admin" }) },
    ],
  },
  {
    name: "POST /api/account/password",
    path: () => "/api/account/password",
    hasId: false,
    as: asAnyone,
    valid: () => ({ token: TOKEN, password: "a long enough passphrase" }),
    wrong: [
      { label: "no password", body: () => ({ token: TOKEN }) },
      { label: "a token with other characters", body: () => ({ token: "!".repeat(43), password: "a long enough passphrase" }) },
      { label: "an unknown field", body: () => ({ token: TOKEN, password: "a long enough passphrase", email: "x@parley.test" }) },
    ],
  },
  {
    name: "POST /api/admin/staff",
    path: () => "/api/admin/staff",
    hasId: false,
    as: asAdmin,
    valid: () => ({ name: "Dr. Valid", email: `valid-${randomUUID()}@parley.test`, role: "doctor" }),
    wrong: [
      { label: "the role patient", body: () => ({ name: "Dr. X", email: "x@parley.test", role: "patient" }) },
      { label: "no role", body: () => ({ name: "Dr. X", email: "x@parley.test" }) },
      { label: "an email that is not one", body: () => ({ name: "Dr. X", email: "x@", role: "doctor" }) },
      { label: "a name of 81 characters", body: () => ({ name: "x".repeat(81), email: "x@parley.test", role: "doctor" }) },
      { label: "an unknown field", body: () => ({ name: "Dr. X", email: "x@parley.test", role: "doctor", passwordHash: "x" }) },
    ],
  },
  {
    name: "POST /api/admin/staff/:id/role",
    path: (_x, id) => `/api/admin/staff/${id}/role`,
    hasId: true,
    as: asAdmin,
    id: staffId,
    valid: () => ({ role: "doctor" }),
    wrong: [
      { label: "the role patient", body: () => ({ role: "patient" }) },
      { label: "no role", body: () => ({}) },
      { label: "an unknown field", body: () => ({ role: "admin", disabled: true }) },
    ],
  },
  {
    name: "POST /api/session/second-factor",
    path: () => "/api/session/second-factor",
    hasId: false,
    as: asHalfSignedIn,
    valid: () => ({ code: "123456" }),
    wrong: [
      { label: "a code of 5 digits", body: () => ({ code: "12345" }) },
      { label: "a code with letters", body: () => ({ code: "12a456" }) },
      { label: "a code as a number", body: () => ({ code: 123456 }) },
      { label: "a recovery code with other characters", body: () => ({ recoveryCode: "ABCDE_12345!" }) },
      { label: "both a code and a recovery code", body: () => ({ code: "123456", recoveryCode: "ABCDE-12345" }) },
      { label: "neither", body: () => ({}) },
    ],
  },
  { name: "POST /api/session/passkey-options", path: () => "/api/session/passkey-options", hasId: false, as: asAnyone, valid: () => ({}), wrong: [unknownField] },
  { name: "POST /api/account/passkeys/options", path: () => "/api/account/passkeys/options", hasId: false, valid: () => ({}), wrong: [unknownField] },
  {
    name: "POST /api/account/passkeys",
    path: () => "/api/account/passkeys",
    hasId: false,
    valid: () => ({ challengeId: randomUUID(), response: { id: "x", type: "public-key" }, name: "Laptop" }),
    wrong: [
      { label: "no challenge id", body: () => ({ response: {}, name: "Laptop" }) },
      { label: "a challenge id that is not a UUID", body: () => ({ challengeId: NOT_A_UUID, response: {}, name: "Laptop" }) },
      { label: "a response that is a string", body: () => ({ challengeId: randomUUID(), response: "{}", name: "Laptop" }) },
      { label: "an empty name", body: () => ({ challengeId: randomUUID(), response: {}, name: " " }) },
      { label: "an unknown field", body: () => ({ challengeId: randomUUID(), response: {}, name: "Laptop", userId: randomUUID() }) },
    ],
  },
  { name: "POST /api/account/totp", path: () => "/api/account/totp", hasId: false, valid: () => ({}), wrong: [unknownField] },
  {
    name: "POST /api/account/totp/confirm",
    path: () => "/api/account/totp/confirm",
    hasId: false,
    valid: () => ({ code: "123456" }),
    wrong: [
      { label: "no code", body: () => ({}) },
      { label: "a code of 7 digits", body: () => ({ code: "1234567" }) },
      { label: "an unknown field", body: () => ({ code: "123456", secret: "AAAA" }) },
    ],
  },
  {
    name: "POST /api/session/activity",
    path: () => "/api/session/activity",
    hasId: false,
    valid: () => ({}),
    wrong: [unknownField],
  },
  {
    name: "POST /api/account/sign-out-everywhere",
    path: () => "/api/account/sign-out-everywhere",
    hasId: false,
    valid: () => ({}),
    wrong: [unknownField],
  },
  ...(["disable", "enable", "reset", "sign-out"] as const).map((action): BodyRoute => ({
    name: `POST /api/admin/staff/:id/${action}`,
    path: (_x, id) => `/api/admin/staff/${id}/${action}`,
    hasId: true,
    as: asAdmin,
    id: staffId,
    valid: () => ({}),
    wrong: [unknownField],
  })),
  {
    name: "PUT /api/account/key-backup",
    path: () => "/api/account/key-backup",
    hasId: false,
    method: "PUT",
    valid: () => backupBody(),
    wrong: [
      { label: "no publicKey", body: () => ({ ...backupBody(), publicKey: undefined }) },
      { label: "a publicKey of 91 bytes that are not a key", body: () => ({ ...backupBody(), publicKey: notAKey() }) },
      { label: "Argon2id with 4 KiB of memory", body: () => ({ ...backupBody(), params: { memoryKiB: 4, iterations: 2, parallelism: 1 } }) },
      { label: "a salt of 15 bytes", body: () => ({ ...backupBody(), salt: b64(15) }) },
      { label: "a wrapped key that is text", body: () => ({ ...backupBody(), wrapped: "not base64url!".repeat(16) }) },
      { label: "an unknown field", body: () => ({ ...backupBody(), passphrase: "nope" }) },
    ],
  },
  { name: "POST /api/account/key-backup/unlock", path: () => "/api/account/key-backup/unlock", hasId: false, valid: () => ({}), wrong: [unknownField] },
  {
    name: "POST /api/consults/:id/key-copies",
    path: (_x, id) => `/api/consults/${id}/key-copies`,
    hasId: true,
    valid: (x) => ({ fromDeviceId: x.doctorDeviceId, copies: [keyCopy(x.doctorDeviceId)] }),
    wrong: [
      { label: "no copies", body: (x: World) => ({ fromDeviceId: x.doctorDeviceId, copies: [] }) },
      { label: "101 copies", body: (x: World) => ({ fromDeviceId: x.doctorDeviceId, copies: Array.from({ length: 101 }, () => keyCopy(x.doctorDeviceId)) }) },
      { label: "a box one byte short", body: (x: World) => ({ fromDeviceId: x.doctorDeviceId, copies: [{ ...keyCopy(x.doctorDeviceId), box: b64(182) }] }) },
      { label: "a key id of 15 bytes", body: (x: World) => ({ fromDeviceId: x.doctorDeviceId, copies: [{ ...keyCopy(x.doctorDeviceId), keyId: b64(15) }] }) },
      { label: "a recipient that is not one", body: (x: World) => ({ fromDeviceId: x.doctorDeviceId, copies: [{ ...keyCopy(x.doctorDeviceId), recipient: "patient" }] }) },
      { label: "a negative epoch", body: (x: World) => ({ fromDeviceId: x.doctorDeviceId, copies: [{ ...keyCopy(x.doctorDeviceId), epoch: -1 }] }) },
      { label: "a copy for another person's device", body: (x: World) => ({ fromDeviceId: x.doctorDeviceId, copies: [keyCopy(randomUUID())] }) },
      { label: "an unknown field", body: (x: World) => ({ fromDeviceId: x.doctorDeviceId, copies: [keyCopy(x.doctorDeviceId)], consultId: x.consultId }) },
    ],
  },
  // The records key (PROTOCOL §7.4)
  {
    name: "POST /api/admin/records-key",
    path: () => "/api/admin/records-key",
    hasId: false,
    as: asAdmin,
    valid: () => ({ publicKey: newIdentityKey() }),
    wrong: [
      { label: "no publicKey", body: () => ({}) },
      { label: "a publicKey of 91 bytes that are not a key", body: () => ({ publicKey: notAKey() }) },
      { label: "a P-384 key", body: () => ({ publicKey: p384IdentityKey() }) },
      { label: "an unknown field", body: () => ({ publicKey: newIdentityKey(), privateKey: b64(32) }) },
    ],
  },
  {
    name: "POST /api/admin/consults/:id/hold",
    path: (_x, id) => `/api/admin/consults/${id}/hold`,
    hasId: true,
    as: asAdmin,
    valid: () => ({ reason: "Input test" }),
    wrong: [
      { label: "no reason", body: () => ({}) },
      { label: "a reason of two characters", body: () => ({ reason: "ab" }) },
      { label: "a reason of 501 characters", body: () => ({ reason: "x".repeat(501) }) },
      { label: "an unknown field", body: () => ({ reason: "Input test", until: "2030-01-01" }) },
    ],
  },
  {
    name: "POST /api/admin/audit/verify",
    path: () => "/api/admin/audit/verify",
    hasId: false,
    as: asAdmin,
    valid: () => ({ onOpen: true }),
    wrong: [{ label: "onOpen that is not a boolean", body: () => ({ onOpen: "yes" }) }, unknownField],
  },
  { name: "POST /api/admin/records/:id", path: (_x, id) => `/api/admin/records/${id}`, hasId: true, as: asAdmin, valid: () => ({}), wrong: [unknownField] },
  {
    name: "POST /api/admin/records/:id/files/:fileId",
    path: (x, id) => `/api/admin/records/${x.consultId}/files/${id}`,
    hasId: true,
    as: asAdmin,
    id: () => randomUUID(),
    valid: () => ({}),
    wrong: [unknownField],
  },
  // Devices and linking (PROTOCOL §7.2)
  {
    name: "PUT /api/devices/:id/box-key",
    path: (_x, id) => `/api/devices/${id}/box-key`,
    hasId: true,
    id: (x) => x.doctorDeviceId,
    method: "PUT",
    valid: () => ({ boxKey: newIdentityKey(), sig: b64(64) }),
    wrong: [
      { label: "no boxKey", body: () => ({ sig: b64(64) }) },
      { label: "a signature of 63 bytes", body: () => ({ boxKey: newIdentityKey(), sig: b64(63) }) },
      { label: "a signature that is not this device's", body: () => ({ boxKey: newIdentityKey(), sig: b64(64) }) },
      { label: "a boxKey of 91 bytes that are not a key", body: () => ({ boxKey: notAKey(), sig: b64(64) }) },
      unknownField,
    ],
  },
  {
    name: "POST /api/devices/links",
    path: () => "/api/devices/links",
    hasId: false,
    valid: (x) => ({ deviceId: x.doctorDeviceId }),
    wrong: [
      { label: "no deviceId", body: () => ({}) },
      { label: "a deviceId that is not a UUID", body: () => ({ deviceId: NOT_A_UUID }) },
      { label: "an unknown field", body: (x: World) => ({ deviceId: x.doctorDeviceId, userId: randomUUID() }) },
    ],
  },
  {
    name: "POST /api/devices/links/join",
    path: () => "/api/devices/links/join",
    hasId: false,
    valid: (x) => ({ code: "ABCDEFGHIJ", deviceId: x.doctorDeviceId }),
    wrong: [
      { label: "a code of 9 characters", body: (x: World) => ({ code: "ABCDEFGHI", deviceId: x.doctorDeviceId }) },
      { label: "a code with a 1 (not base32)", body: (x: World) => ({ code: "ABCDEFGHI1", deviceId: x.doctorDeviceId }) },
      { label: "a code as a number", body: (x: World) => ({ code: 1234567890, deviceId: x.doctorDeviceId }) },
      { label: "no deviceId", body: () => ({ code: "ABCDEFGHIJ" }) },
      { label: "an unknown field", body: (x: World) => ({ code: "ABCDEFGHIJ", deviceId: x.doctorDeviceId, linkId: randomUUID() }) },
    ],
  },
  {
    name: "POST /api/devices/links/:id/messages",
    path: (_x, id) => `/api/devices/links/${id}/messages`,
    hasId: true,
    id: () => randomUUID(),
    valid: (x) => ({ deviceId: x.doctorDeviceId, message: linkCommit(x.doctorDeviceId) }),
    wrong: [
      { label: "no message", body: (x: World) => ({ deviceId: x.doctorDeviceId }) },
      { label: "a consult key message (no place on a link)", body: (x: World) => ({ deviceId: x.doctorDeviceId, message: { type: "key", sid: SID, to: SID, iv: b64(12), ct: b64(68) } }) },
      { label: "a grant of 40 bytes", body: (x: World) => ({ deviceId: x.doctorDeviceId, message: { type: "grant", sid: SID, to: SID, iv: b64(12), ct: b64(40) } }) },
      { label: "a commit with an unknown field", body: (x: World) => ({ deviceId: x.doctorDeviceId, message: { ...linkCommit(x.doctorDeviceId), extra: 1 } }) },
      { label: "an unknown field", body: (x: World) => ({ deviceId: x.doctorDeviceId, message: linkCommit(x.doctorDeviceId), seq: 1 }) },
    ],
  },
  {
    name: "POST /api/devices/links/:id/finish",
    path: (_x, id) => `/api/devices/links/${id}/finish`,
    hasId: true,
    id: () => randomUUID(),
    valid: (x) => ({ deviceId: x.doctorDeviceId, outcome: "cancelled" }),
    wrong: [
      { label: "an outcome that is not one", body: (x: World) => ({ deviceId: x.doctorDeviceId, outcome: "maybe" }) },
      { label: "no deviceId", body: () => ({ outcome: "cancelled" }) },
      { label: "an unknown field", body: (x: World) => ({ deviceId: x.doctorDeviceId, outcome: "linked", toDeviceId: randomUUID() }) },
    ],
  },
  {
    name: "POST /api/devices",
    path: () => "/api/devices",
    hasId: false,
    valid: () => ({ identityKey: newIdentityKey() }),
    wrong: [
      { label: "identityKey missing", body: () => ({}) },
      { label: "identityKey is a number", body: () => ({ identityKey: 42 }) },
      { label: "identityKey is not base64url", body: () => ({ identityKey: "*".repeat(122) }) },
      { label: "identityKey is 91 bytes that are not a key", body: () => ({ identityKey: notAKey() }) },
      { label: "identityKey is a P-384 key", body: () => ({ identityKey: p384IdentityKey() }) },
      { label: "an unknown field", body: () => ({ identityKey: newIdentityKey(), userId: "someone-else" }) },
    ],
  },
  {
    name: "POST /api/consults",
    path: () => "/api/consults",
    hasId: false,
    valid: () => ({}),
    wrong: [
      { label: "scheduledAt is a number", body: () => ({ scheduledAt: 1_700_000_000_000 }) },
      { label: "scheduledAt is not a date", body: () => ({ scheduledAt: "tomorrow at noon" }) },
      { label: "scheduledAt has no offset", body: () => ({ scheduledAt: "2030-01-01T10:00:00" }) },
      { label: "an unknown field", body: () => ({ scheduledAt: "2030-01-01T10:00:00Z", patientEmail: "x@example.com" }) },
    ],
  },
  {
    name: "POST /api/consults/:id/admit",
    path: (_x, id) => `/api/consults/${id}/admit`,
    hasId: true,
    valid: (x) => ({ participantId: x.patientPid }),
    wrong: [
      { label: "participantId missing", body: () => ({}) },
      { label: "participantId is a number", body: () => ({ participantId: 42 }) },
      { label: "participantId is null", body: () => ({ participantId: null }) },
      { label: "participantId is not a UUID", body: () => ({ participantId: NOT_A_UUID }) },
      { label: "an unknown field", body: (x: World) => ({ participantId: x.patientPid, role: "doctor" }) },
    ],
  },
  {
    name: "POST /api/consults/:id/end",
    path: (_x, id) => `/api/consults/${id}/end`,
    hasId: true,
    valid: () => ({}),
    wrong: [{ label: "an unknown field", body: () => ({ reason: "done" }) }],
  },
  {
    name: "POST /api/consults/:id/leave",
    path: (_x, id) => `/api/consults/${id}/leave`,
    hasId: true,
    valid: () => ({}),
    wrong: [{ label: "an unknown field", body: () => ({ participantId: randomUUID() }) }],
  },
  {
    name: "POST /api/consults/:id/messages/receipts",
    path: (_x, id) => `/api/consults/${id}/messages/receipts`,
    hasId: true,
    valid: () => ({ senderDeviceId: randomUUID(), seq: 0, state: "delivered" }),
    wrong: [
      { label: "state is not a receipt state", body: () => ({ senderDeviceId: randomUUID(), seq: 0, state: "sent" }) },
      { label: "seq is negative", body: () => ({ senderDeviceId: randomUUID(), seq: -1, state: "read" }) },
      { label: "seq is a string", body: () => ({ senderDeviceId: randomUUID(), seq: "0", state: "read" }) },
      { label: "senderDeviceId is not a UUID", body: () => ({ senderDeviceId: NOT_A_UUID, seq: 0, state: "read" }) },
      { label: "an unknown field", body: () => ({ senderDeviceId: randomUUID(), seq: 0, state: "read", at: 1 }) },
    ],
  },
  {
    name: "POST /api/consults/:id/presence",
    path: (_x, id) => `/api/consults/${id}/presence`,
    hasId: true,
    valid: () => ({ status: "online", typing: true }),
    wrong: [
      { label: "status is not a presence", body: () => ({ status: "offline", typing: false }) },
      { label: "typing missing", body: () => ({ status: "online" }) },
      { label: "typing is a string", body: () => ({ status: "online", typing: "yes" }) },
      { label: "an unknown field", body: () => ({ status: "online", typing: false, participantId: randomUUID() }) },
    ],
  },
  {
    name: "POST /api/consults/:id/messages",
    path: (_x, id) => `/api/consults/${id}/messages`,
    hasId: true,
    valid: () => sealedMessageBody(randomUUID(), 0),
    wrong: [
      { label: "id is a UUID v1, not v4", body: () => ({ ...sealedMessageBody(randomUUID(), 0), id: "6ba7b810-9dad-11d1-80b4-00c04fd430c8" }) },
      { label: "seq is negative", body: () => sealedMessageBody(randomUUID(), -1) },
      { label: "seq is a string", body: () => ({ ...sealedMessageBody(randomUUID(), 0), seq: "0" }) },
      { label: "keyId is not 16 bytes", body: () => ({ ...sealedMessageBody(randomUUID(), 0), keyId: "AAAA" }) },
      { label: "ciphertext shorter than any padded message", body: () => ({ ...sealedMessageBody(randomUUID(), 0), ciphertext: "AAAA" }) },
      { label: "a plaintext field", body: () => ({ ...sealedMessageBody(randomUUID(), 0), text: "hello" }) },
    ],
  },
  {
    name: "POST /api/consults/:id/files",
    path: (_x, id) => `/api/consults/${id}/files`,
    hasId: true,
    valid: () => ({ fileId: randomUUID(), size: 100, partSize: 5 * MiB }),
    wrong: [
      { label: "fileId is not a UUID", body: () => ({ fileId: NOT_A_UUID, size: 100, partSize: 5 * MiB }) },
      { label: "size is zero (less than one sealed chunk)", body: () => ({ fileId: randomUUID(), size: 0, partSize: 5 * MiB }) },
      { label: "size is negative", body: () => ({ fileId: randomUUID(), size: -1, partSize: 5 * MiB }) },
      { label: "size is a string", body: () => ({ fileId: randomUUID(), size: "100", partSize: 5 * MiB }) },
      { label: "size is not an integer", body: () => ({ fileId: randomUUID(), size: 100.5, partSize: 5 * MiB }) },
      { label: "partSize below S3's 5 MiB", body: () => ({ fileId: randomUUID(), size: 100, partSize: 5 * MiB - 1 }) },
      { label: "partSize above 64 MiB", body: () => ({ fileId: randomUUID(), size: 100, partSize: 64 * MiB + 1 }) },
      { label: "a plaintext name (the server never takes one)", body: () => ({ fileId: randomUUID(), size: 100, partSize: 5 * MiB, name: "x-ray.pdf" }) },
    ],
  },
  {
    name: "POST /api/consults/:id/files/:fileId/parts",
    path: (_x, id) => `/api/consults/${id}/files/${randomUUID()}/parts`,
    hasId: true,
    valid: () => ({ parts: [1] }),
    wrong: [
      { label: "no parts", body: () => ({ parts: [] }) },
      { label: "part 0", body: () => ({ parts: [0] }) },
      { label: "a part beyond 10000", body: () => ({ parts: [10_001] }) },
      { label: "a part listed twice", body: () => ({ parts: [1, 1] }) },
      { label: "more than 100 parts at once", body: () => ({ parts: Array.from({ length: 101 }, (_, i) => i + 1) }) },
      { label: "parts is a number", body: () => ({ parts: 1 }) },
      { label: "an unknown field", body: () => ({ parts: [1], uploadId: "x" }) },
    ],
  },
  {
    name: "POST /api/consults/:id/files/:fileId/complete",
    path: (_x, id) => `/api/consults/${id}/files/${randomUUID()}/complete`,
    hasId: true,
    valid: () => ({ parts: [{ partNumber: 1, etag: '"abc"' }] }),
    wrong: [
      { label: "no parts", body: () => ({ parts: [] }) },
      { label: "an etag missing", body: () => ({ parts: [{ partNumber: 1 }] }) },
      { label: "partNumber 0", body: () => ({ parts: [{ partNumber: 0, etag: "x" }] }) },
      { label: "an unknown field in a part", body: () => ({ parts: [{ partNumber: 1, etag: "x", size: 5 }] }) },
      { label: "an unknown field", body: () => ({ parts: [{ partNumber: 1, etag: "x" }], size: 100 }) },
    ],
  },
  {
    name: "POST /api/consults/:id/verification",
    path: (_x, id) => `/api/consults/${id}/verification`,
    hasId: true,
    valid: () => ({ result: "mismatch" }),
    wrong: [
      { label: "result missing", body: () => ({}) },
      { label: "result is not a known outcome", body: () => ({ result: "match" }) },
      { label: "result is not a string", body: () => ({ result: ["verified"] }) },
      { label: "an unknown field", body: () => ({ result: "mismatch", code: "1234 5678 9012" }) },
    ],
  },
  {
    name: "POST /api/consults/:id/transcript",
    path: (_x, id) => `/api/consults/${id}/transcript`,
    hasId: true,
    valid: () => ({ messages: 3 }),
    wrong: [
      { label: "messages missing", body: () => ({}) },
      { label: "a negative count", body: () => ({ messages: -1 }) },
      { label: "a count that is not whole", body: () => ({ messages: 1.5 }) },
      { label: "the transcript itself", body: () => ({ messages: 3, text: "Patient: my results…" }) },
    ],
  },
  {
    name: "POST /api/consults/:id/rejoin",
    path: (_x, id) => `/api/consults/${id}/rejoin`,
    hasId: true,
    valid: () => ({}),
    wrong: [{ label: "an unknown field", body: () => ({ state: "admitted" }) }],
  },
  {
    name: "POST /api/consults/:id/invites",
    path: (_x, id) => `/api/consults/${id}/invites`,
    hasId: true,
    valid: () => ({}),
    wrong: [{ label: "an unknown field", body: () => ({ expiresAt: "2030-01-01T00:00:00Z" }) }],
  },
  {
    name: "POST /api/consults/:id/signals",
    path: (_x, id) => `/api/consults/${id}/signals`,
    hasId: true,
    valid: () => ({ type: "test", payload: {} }),
    wrong: [
      { label: "type missing", body: () => ({ payload: {} }) },
      { label: "payload missing", body: () => ({ type: "test" }) },
      { label: "type is a number", body: () => ({ type: 7, payload: {} }) },
      { label: "type is not a lower-case word", body: () => ({ type: "Offer Now", payload: {} }) },
      { label: "type is too long", body: () => ({ type: `t${"x".repeat(32)}`, payload: {} }) },
      { label: "payload is a string", body: () => ({ type: "test", payload: "sdp" }) },
      { label: "payload is an array", body: () => ({ type: "test", payload: [1, 2] }) },
      { label: "to is not a UUID", body: () => ({ to: NOT_A_UUID, type: "test", payload: {} }) },
      { label: "to is a number", body: () => ({ to: 1, type: "test", payload: {} }) },
      { label: "to is nobody in the consult", body: () => ({ to: randomUUID(), type: "test", payload: {} }) },
      { label: "to is the sender", body: (x: World) => ({ to: x.doctorPid, type: "test", payload: {} }) },
      { label: "an unknown field", body: (x: World) => ({ type: "test", payload: {}, from: x.patientPid }) },
    ],
  },
];

const JSON_TYPE = { "content-type": "application/json" };

function bodyCases(route: BodyRoute): Case[] {
  const at = (x: World, id = (route.id ?? ((y: World) => y.consultId))(x)) => route.path(x, id);
  const who = route.as ?? ((x: World) => x.doctor);
  const method = route.method ?? "POST";
  const raw = (text: string | Buffer, contentType: string) => (x: World) => send(who(x), { method, path: at(x), data: text, headers: { "content-type": contentType } });
  const cases: Case[] = [
    { title: "malformed JSON (truncated)", run: raw('{"type": "test", "payload":', "application/json"), expected: MALFORMED },
    { title: "malformed JSON (single quotes)", run: raw("{'type': 'test'}", "application/json"), expected: MALFORMED },
    { title: "malformed JSON (trailing garbage)", run: raw("{} {}", "application/json"), expected: MALFORMED },
    { title: "JSON null", run: raw("null", "application/json"), expected: INVALID },
    { title: "a JSON array", run: raw("[]", "application/json"), expected: INVALID },
    { title: "a JSON string", run: raw('"{}"', "application/json"), expected: INVALID },
    { title: "a JSON number", run: raw("1", "application/json"), expected: INVALID },
    ...route.wrong.map(({ label, body }): Case => ({
      title: label,
      run: (x) => send(who(x), { method, path: at(x), data: JSON.stringify(body(x)), headers: JSON_TYPE }),
      expected: INVALID,
    })),
    {
      title: "an accepted body sent as text/plain",
      run: (x) => send(who(x), { method, path: at(x), data: JSON.stringify(route.valid(x)), headers: { "content-type": "text/plain" } }),
      expected: UNSUPPORTED,
    },
    {
      title: "a form post (application/x-www-form-urlencoded)",
      run: (x) => send(who(x), { method, path: at(x), data: "participantId=1&type=test", headers: { "content-type": "application/x-www-form-urlencoded" } }),
      expected: UNSUPPORTED,
    },
    {
      title: "an accepted body sent as application/octet-stream",
      run: (x) => send(who(x), { method, path: at(x), data: Buffer.from(JSON.stringify(route.valid(x))), headers: { "content-type": "application/octet-stream" } }),
      expected: UNSUPPORTED,
    },
    {
      title: "a body over 64 KiB (content-length)",
      run: (x) => send(who(x), { method, path: at(x), data: paddedJson(route.valid(x), MAX_BODY + 1), headers: { "content-type": "application/json" } }),
      expected: TOO_LARGE,
    },
    {
      title: "a body over 64 KiB (chunked, no content-length)",
      run: (x) => sendChunked(who(x), method, at(x), chunked(paddedJson(route.valid(x), MAX_BODY + 16 * 1024), 8 * 1024)),
      expected: TOO_LARGE,
    },
  ];
  if (route.hasId) {
    cases.push(
      {
        title: `${route.id ? "an" : "a consult"} id that is not a UUID`,
        run: (x) => send(who(x), { method, path: at(x, NOT_A_UUID), data: route.valid(x) }),
        expected: NOT_FOUND,
      },
      {
        title: `${route.id ? "an id that is a UUID of nobody" : "a consult id that is a UUID of no consult"}`,
        run: (x) => send(who(x), { method, path: at(x, randomUUID()), data: route.valid(x) }),
        expected: NOT_FOUND,
      },
    );
  }
  return cases;
}

/** `base` as JSON with a `pad` string making it exactly `size` bytes (an unknown field: invalid even when small). */
function paddedJson(base: Record<string, unknown>, size: number): Buffer {
  const empty = JSON.stringify({ ...base, pad: "" });
  const text = JSON.stringify({ ...base, pad: "x".repeat(size - Buffer.byteLength(empty)) });
  expect(Buffer.byteLength(text)).toBe(size);
  return Buffer.from(text);
}

function chunked(buf: Buffer, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(new Uint8Array(buf.subarray(i, i + size)));
  return out;
}

const events = (x: World, query: string, headers: Record<string, string> = {}, id = x.consultId) => EventStream.answer(x.doctor, `/api/consults/${id}/events${query}`, headers);

// With the test S3 store (TEST_S3_*, playwright.config.ts) this server keeps documents in S3 and
// serves no blob links at all; on the filesystem store a forged one is refused (403), as
// e2e/blob-links.embedded.spec.ts checks on the embedded server whatever the test stack.
const FORGED_BLOB_LINK: Expected = process.env.TEST_S3_ENDPOINT ? NOT_FOUND : { status: 403, code: "forbidden" };

const OTHER_CASES: { route: string; cases: Case[] }[] = [
  {
    route: "GET/PUT /api/blobs/:token (the filesystem store's presigned links)",
    cases: [
      { title: "a link that is not a token", run: (x) => send(x.doctor, { method: "GET", path: "/api/blobs/not-a-token" }), expected: NOT_FOUND },
      { title: "a forged signature (GET)", run: (x) => send(x.patient, forgedBlobRequest("GET")), expected: FORGED_BLOB_LINK },
      { title: "a forged signature (PUT)", run: (x) => send(x.patient, forgedBlobRequest("PUT")), expected: FORGED_BLOB_LINK },
    ],
  },
  {
    route: "GET /api/consults/:id",
    cases: [
      { title: "an id that is not a UUID", run: (x) => send(x.doctor, { method: "GET", path: `/api/consults/${NOT_A_UUID}` }), expected: NOT_FOUND },
      {
        title: "an id with SQL in it",
        run: (x) => send(x.doctor, { method: "GET", path: `/api/consults/${encodeURIComponent("' OR '1'='1")}` }),
        expected: NOT_FOUND,
      },
      { title: "a UUID of no consult", run: (x) => send(x.doctor, { method: "GET", path: `/api/consults/${randomUUID()}` }), expected: NOT_FOUND },
    ],
  },
  {
    route: "DELETE /api/consults/:id/invites/:inviteId",
    cases: [
      {
        title: "a consult id that is not a UUID",
        run: (x) => send(x.doctor, { method: "DELETE", path: `/api/consults/${NOT_A_UUID}/invites/${x.inviteId}` }),
        expected: NOT_FOUND,
      },
      {
        title: "an invite id that is not a UUID",
        run: (x) => send(x.doctor, { method: "DELETE", path: `/api/consults/${x.consultId}/invites/${NOT_A_UUID}` }),
        expected: NOT_FOUND,
      },
      {
        title: "a UUID of no invite",
        run: (x) => send(x.doctor, { method: "DELETE", path: `/api/consults/${x.consultId}/invites/${randomUUID()}` }),
        expected: NOT_FOUND,
      },
      {
        title: "the invite under a UUID of no consult",
        run: (x) => send(x.doctor, { method: "DELETE", path: `/api/consults/${randomUUID()}/invites/${x.inviteId}` }),
        expected: NOT_FOUND,
      },
    ],
  },
  {
    route: "GET /api/devices/links/:id",
    cases: [
      { title: "no deviceId", run: (x) => send(x.doctor, { method: "GET", path: `/api/devices/links/${randomUUID()}` }), expected: INVALID },
      { title: "after=-1", run: (x) => send(x.doctor, { method: "GET", path: `/api/devices/links/${randomUUID()}?deviceId=${x.doctorDeviceId}&after=-1` }), expected: INVALID },
      { title: "a link id that is not a UUID", run: (x) => send(x.doctor, { method: "GET", path: `/api/devices/links/${NOT_A_UUID}?deviceId=${x.doctorDeviceId}` }), expected: NOT_FOUND },
      { title: "a UUID of no link", run: (x) => send(x.doctor, { method: "GET", path: `/api/devices/links/${randomUUID()}?deviceId=${x.doctorDeviceId}` }), expected: NOT_FOUND },
    ],
  },
  {
    route: "DELETE /api/devices/:id",
    cases: [
      { title: "an id that is not a UUID", run: (x) => send(x.doctor, { method: "DELETE", path: `/api/devices/${NOT_A_UUID}` }), expected: NOT_FOUND },
      { title: "a UUID of no device", run: (x) => send(x.doctor, { method: "DELETE", path: `/api/devices/${randomUUID()}` }), expected: NOT_FOUND },
    ],
  },
  {
    route: "GET /api/account/key-copies",
    cases: [
      { title: "no recipient", run: (x) => send(x.doctor, { method: "GET", path: "/api/account/key-copies" }), expected: INVALID },
      { title: "recipient=records", run: (x) => send(x.doctor, { method: "GET", path: "/api/account/key-copies?recipient=records" }), expected: INVALID },
      { title: "after that is not a UUID", run: (x) => send(x.doctor, { method: "GET", path: `/api/account/key-copies?recipient=device&after=${NOT_A_UUID}` }), expected: INVALID },
    ],
  },
  {
    route: "GET /api/admin/audit",
    cases: [
      { title: "a consult that is not a UUID", run: (x) => send(x.admin, { method: "GET", path: `/api/admin/audit?consult=${NOT_A_UUID}` }), expected: INVALID },
      { title: "from=yesterday", run: (x) => send(x.admin, { method: "GET", path: "/api/admin/audit?from=yesterday" }), expected: INVALID },
      { title: "an action with a quote", run: (x) => send(x.admin, { method: "GET", path: `/api/admin/audit?action=${encodeURIComponent("file' OR 1=1")}` }), expected: INVALID },
      { title: "format=xlsx", run: (x) => send(x.admin, { method: "GET", path: "/api/admin/audit?format=xlsx" }), expected: INVALID },
      { title: "an unknown parameter", run: (x) => send(x.admin, { method: "GET", path: "/api/admin/audit?limit=5" }), expected: INVALID },
    ],
  },
  {
    route: "GET /api/consults/:id/events",
    cases: [
      { title: "after=abc", run: (x) => events(x, "?after=abc"), expected: INVALID },
      { title: "after=-1", run: (x) => events(x, "?after=-1"), expected: INVALID },
      { title: "after=1.5", run: (x) => events(x, "?after=1.5"), expected: INVALID },
      { title: "after beyond 2^53", run: (x) => events(x, "?after=9007199254740993"), expected: INVALID },
      { title: "Last-Event-ID: abc", run: (x) => events(x, "", { "last-event-id": "abc" }), expected: INVALID },
      { title: "Last-Event-ID: -5 (wins over a good ?after=)", run: (x) => events(x, "?after=0", { "last-event-id": "-5" }), expected: INVALID },
      { title: "an id that is not a UUID", run: (x) => events(x, "", {}, NOT_A_UUID), expected: NOT_FOUND },
      { title: "a UUID of no consult", run: (x) => events(x, "", {}, randomUUID()), expected: NOT_FOUND },
    ],
  },
];

test.beforeAll(async ({ playwright }, testInfo) => {
  const baseURL = projectBaseURL(testInfo.project.use.baseURL);
  const db = await TestDb.connect();
  const doctor = await signInStaff(playwright, baseURL, DEMO_DOCTOR);
  const admin = await signInStaff(playwright, baseURL, DEMO_ADMIN);
  const anon = await anonymous(playwright, baseURL);
  const staff = await db.createStaff("doctor", "Dr. Input Target");
  const half = await halfSignedInDoctor(playwright, baseURL, await db.createStaff("doctor", "Dr. Input Half"));
  const consult = await admittedConsult(playwright, doctor, "Ines Input");
  const invite = await newInvite(doctor, consult.consultId);
  const device = await send(doctor, { method: "POST", path: "/api/devices", data: { identityKey: newIdentityKey() } });
  expect(device.status, device.text).toBe(201);
  const doctorDeviceId = z.object({ deviceId: z.uuid() }).parse(JSON.parse(device.text)).deviceId;
  w = {
    db,
    doctor,
    admin,
    anon,
    staffId: staff.id,
    half: half.actor,
    patient: consult.patient,
    consultId: consult.consultId,
    patientPid: consult.patientParticipantId,
    doctorPid: consult.doctorParticipantId,
    inviteId: invite.id,
    doctorDeviceId,
  };
});

test.afterAll(async () => {
  if (!w) return;
  await dispose(w.doctor, w.admin, w.anon, w.half, w.patient);
  await w.db.close();
});

function defineCase(route: string, c: Case) {
  test(`${route}: ${c.title} → ${c.expected.status}`, async () => {
    const scope = [w.consultId];
    const before = await w.db.state(scope);
    const answer = await c.run(w);
    expect(answer.status, `answer: ${answer.text}`).toBe(c.expected.status);
    expect(expectApiError(answer).code).toBe(c.expected.code);
    expect(await w.db.state(scope), "a refused request wrote to the database").toEqual(before);
  });
}

for (const route of BODY_ROUTES) {
  test.describe(route.name, () => {
    for (const c of bodyCases(route)) defineCase(route.name, c);
  });
}
for (const { route, cases } of OTHER_CASES) {
  test.describe(route, () => {
    for (const c of cases) defineCase(route, c);
  });
}

test("a body of exactly 64 KiB is read (and refused for its unknown field, not its size)", async () => {
  const before = await w.db.state([w.consultId]);
  const answer = await send(w.doctor, {
    method: "POST",
    path: `/api/consults/${w.consultId}/signals`,
    data: paddedJson({ type: "test", payload: {} }, MAX_BODY),
    headers: { "content-type": "application/json" },
  });
  expect(answer.status, answer.text).toBe(400);
  expect(expectApiError(answer).code).toBe("invalid_input");
  expect(await w.db.state([w.consultId])).toEqual(before);
});

test("the route still works after all that (the refusals were about the input)", async () => {
  const before = await w.db.counts([w.consultId]);
  const answer = await send(w.doctor, { method: "POST", path: `/api/consults/${w.consultId}/signals`, data: { to: w.patientPid, type: "test", payload: { ok: true } } });
  expect(answer.status, answer.text).toBe(201);
  expect((await w.db.counts([w.consultId])).Event).toBe(before.Event + 1);
});
