// Who may call what, over HTTP against the real server (project pg). One table row per route:
// the request it makes, the callers it refuses with the status each gets, and the caller it
// serves. Every refused call must answer `{ error: { code, message } }`, leak nothing about the
// consult's participants, and write nothing (row counts and a digest of the consults' state are
// compared before and after). The allowed calls run last, in table order, so the table cannot
// pass vacuously: the very same request succeeds for the right caller.
// Adding a route: one entry in ROUTES (and, if it needs one, a target in World).
// Besides the table: ids of one consult used through another, what a waiting patient sees,
// invite links (single use, revoked, after the end), and an open stream cut off by revocation.
import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { z } from "zod";
import {
  createConsultAnswer,
  fileAnswer,
  fileDownloadAnswer,
  filePartsAnswer,
  filesAnswer,
  iceServersAnswer,
  inviteAnswer,
  messagesAnswer,
  registerDeviceAnswer,
  roomSnapshot,
} from "../lib/shared/api";
import { accountAnswer, signedOutAnswer, staffAnswer, staffLinkAnswer, staffListAnswer } from "../lib/shared/staff";
import { factorsView, passkeyOptionsAnswer, recoveryCodesAnswer, totpStartAnswer } from "../lib/shared/factors";
import { keyBackupInfo, keyBackupUnlockAnswer, keyCopiesAnswer, recordsKeyAnswer } from "../lib/shared/keys";
import { recordAnswer, recordListAnswer } from "../lib/shared/records";
import { deviceListAnswer, newLinkAnswer } from "../lib/shared/devices";
import { chainReport } from "../lib/shared/audit";
import { holdAnswer } from "../lib/shared/consult-list";
import { totpCode } from "./support/authenticators";
import { newIdentityKey, sealedMessageBody } from "./support/keys";
import {
  admit,
  admittedConsult,
  anonymous,
  createConsult,
  DEMO_ADMIN,
  DEMO_DOCTOR,
  dispose,
  EventStream,
  expectApiError,
  getSnapshot,
  halfSignedInDoctor,
  inviteTokenOf,
  newInvite,
  okJson,
  participantId,
  projectBaseURL,
  redeemInvite,
  revokeInvite,
  send,
  SignInRefused,
  signInStaff,
  type Actor,
  type Answer,
  type Call,
  type ReceivedEvent,
} from "./support/api";
import { TestDb } from "./support/db";
import { E2E_CRON_SECRET } from "./support/server-settings";

/** A handshake commitment as a waiting patient's room sends it (the server relays it unread). */
const WAITING_COMMIT = { sid: "AAAAAAAAAAAAAAAAAAAAAA", deviceId: "6f1c1d5e-8a8e-4c2b-9a51-0d6f3f2b7a10", c: "A".repeat(43), reply: false };

type World = {
  db: TestDb;
  anon: Actor;
  /** owner of the consult under test (the demo doctor) */
  doctor: Actor;
  doctorPid: string;
  /** a device registered for the owner doctor */
  doctorDeviceId: string;
  /** another doctor, owner of the foreign consult */
  otherDoctor: Actor;
  admin: Actor;
  /** signed in, then disabled: the session cookie is still valid, the account is not */
  disabledDoctor: Actor;
  consultId: string;
  patient: Actor;
  patientPid: string;
  waiting: Actor;
  waitingPid: string;
  waitingInviteId: string;
  revoked: Actor;
  revokedPid: string;
  foreignConsultId: string;
  foreignPatient: Actor;
  foreignPatientPid: string;
  /** an upload by the admitted patient: one part of 100 bytes is in the store, not yet completed */
  file: { id: string; etag: string };
  /** valid one-time links: a setup link, and a password link for `staffTarget` */
  setupToken: string;
  passwordToken: string;
  /** a doctor who typed the password but not yet the code from their authenticator app */
  halfSignedIn: Actor;
  halfSecret: string;
  /** a doctor account the admin routes act on */
  staffTarget: { id: string; email: string };
  /** what no refused answer may contain: names and ids of the consult's people and invites */
  secrets: string[];
};

let w: World;
let pendingInviteToken: string | undefined;
/** the other doctor's authenticator app, started by an allowed call and confirmed by the next */
let otherSecret = "";

const CROSS_SITE = { origin: "https://evil.example", "sec-fetch-site": "cross-site" };

type CallerKey =
  | "anonymous"
  | "foreignPatient"
  | "otherDoctor"
  | "admin"
  | "waitingPatient"
  | "admittedPatient"
  | "revokedPatient"
  | "owner"
  | "crossSiteOwner"
  | "crossSiteAdmin"
  | "halfSignedIn"
  | "disabledDoctor"
  | "scheduler";
type Caller = { title: string; pick: (x: World) => { actor: Actor; headers?: Record<string, string> } };

/** Callers, by key: who sends, and any extra headers. */
const CALLERS: Record<CallerKey, Caller> = {
  anonymous: { title: "anonymous (no cookie)", pick: (x) => ({ actor: x.anon }) },
  foreignPatient: { title: "a patient admitted to another consult", pick: (x) => ({ actor: x.foreignPatient }) },
  otherDoctor: { title: "another doctor (not the owner)", pick: (x) => ({ actor: x.otherDoctor }) },
  admin: { title: "the clinic admin", pick: (x) => ({ actor: x.admin }) },
  waitingPatient: { title: "this consult's patient, still waiting", pick: (x) => ({ actor: x.waiting }) },
  admittedPatient: { title: "this consult's admitted patient", pick: (x) => ({ actor: x.patient }) },
  revokedPatient: { title: "a patient whose invite was revoked", pick: (x) => ({ actor: x.revoked }) },
  owner: { title: "the owner doctor", pick: (x) => ({ actor: x.doctor }) },
  crossSiteOwner: { title: "the owner doctor, from a cross-site page", pick: (x) => ({ actor: x.doctor, headers: CROSS_SITE }) },
  crossSiteAdmin: { title: "the clinic admin, from a cross-site page", pick: (x) => ({ actor: x.admin, headers: CROSS_SITE }) },
  disabledDoctor: { title: "a doctor disabled after signing in", pick: (x) => ({ actor: x.disabledDoctor }) },
  halfSignedIn: { title: "a doctor who has not entered the second factor yet", pick: (x) => ({ actor: x.halfSignedIn }) },
  scheduler: { title: "the scheduler, with the pg server's CRON_SECRET", pick: (x) => ({ actor: x.anon, headers: { authorization: `Bearer ${E2E_CRON_SECRET}` } }) },
};

type Refusal = 401 | 403 | 404 | 409;
const CODE: Record<Refusal, string> = { 401: "unauthenticated", 403: "forbidden", 404: "not_found", 409: "conflict" };

/** People with no part in the consult: a consult they are not in is "not found", never "forbidden". */
const OUTSIDERS = { anonymous: 401, disabledDoctor: 401, halfSignedIn: 401, foreignPatient: 404, otherDoctor: 404, admin: 404, revokedPatient: 404 } as const satisfies Partial<
  Record<CallerKey, Refusal>
>;
/** Participants who are not the owner, on owner-only routes. */
const NOT_OWNER = { waitingPatient: 403, admittedPatient: 403 } as const satisfies Partial<Record<CallerKey, Refusal>>;

type RouteSpec = {
  name: string;
  call: (x: World) => Call;
  /** an SSE route: read with Node's fetch and never waited to the end */
  stream?: boolean;
  refused: Partial<Record<CallerKey, Refusal>>;
  /** `contentType`: what the allowed answer is, when not JSON (a download) */
  allowed: { caller: CallerKey; status: number; contentType?: RegExp; check?: (answer: Answer, x: World) => Promise<void> | void };
};

const ok = z.object({ ok: z.literal(true) });
const b64 = (n: number) => randomBytes(n).toString("base64url");
/** A well-formed passphrase backup: a real P-256 public key, the rest random bytes (the server cannot tell). */
const backupBody = () => ({ publicKey: newIdentityKey(), params: { memoryKiB: 19456, iterations: 2, parallelism: 1 }, salt: b64(16), iv: b64(12), wrapped: b64(154) });

/** Admin routes: everyone but a signed-in admin is refused, whatever their part in any consult. */
const NOT_ADMIN = {
  anonymous: 401,
  disabledDoctor: 401,
  halfSignedIn: 401,
  owner: 403,
  otherDoctor: 403,
  admittedPatient: 403,
  waitingPatient: 403,
  foreignPatient: 403,
  revokedPatient: 403,
} as const satisfies Partial<Record<CallerKey, Refusal>>;
const staffAt = (x: World, action: string) => `/api/admin/staff/${x.staffTarget.id}/${action}`;
const stateOf = (a: Answer) => staffAnswer.parse(JSON.parse(a.text)).staff.state;

const ROUTES: RouteSpec[] = [
  {
    name: "GET /api/admin/staff",
    call: () => ({ method: "GET", path: "/api/admin/staff" }),
    refused: { ...NOT_ADMIN },
    allowed: { caller: "admin", status: 200, check: (a, x) => expect(staffListAnswer.parse(JSON.parse(a.text)).staff.map((s) => s.id)).toContain(x.staffTarget.id) },
  },
  {
    name: "POST /api/admin/staff",
    call: () => ({ method: "POST", path: "/api/admin/staff", data: { name: "Dr. Added", email: `added-${crypto.randomUUID()}@parley.test`, role: "doctor" } }),
    refused: { ...NOT_ADMIN, crossSiteAdmin: 403 },
    allowed: { caller: "admin", status: 201, check: (a) => expect(staffLinkAnswer.parse(JSON.parse(a.text)).link.url).toContain("/account/setup/") },
  },
  {
    name: "POST /api/admin/staff/:id/disable",
    call: (x) => ({ method: "POST", path: staffAt(x, "disable"), data: {} }),
    refused: { ...NOT_ADMIN, crossSiteAdmin: 403 },
    allowed: { caller: "admin", status: 200, check: (a) => expect(stateOf(a)).toBe("disabled") },
  },
  {
    name: "POST /api/admin/staff/:id/enable",
    call: (x) => ({ method: "POST", path: staffAt(x, "enable"), data: {} }),
    refused: { ...NOT_ADMIN, crossSiteAdmin: 403 },
    allowed: { caller: "admin", status: 200, check: (a) => expect(stateOf(a)).toBe("active") },
  },
  {
    name: "POST /api/admin/staff/:id/role",
    call: (x) => ({ method: "POST", path: staffAt(x, "role"), data: { role: "doctor" } }),
    refused: { ...NOT_ADMIN, crossSiteAdmin: 403 },
    allowed: { caller: "admin", status: 200, check: (a) => expect(staffAnswer.parse(JSON.parse(a.text)).staff.role).toBe("doctor") },
  },
  {
    name: "POST /api/admin/staff/:id/sign-out",
    call: (x) => ({ method: "POST", path: staffAt(x, "sign-out"), data: {} }),
    refused: { ...NOT_ADMIN, crossSiteAdmin: 403 },
    allowed: { caller: "admin", status: 200, check: (a) => expect(signedOutAnswer.parse(JSON.parse(a.text)).ended).toBeGreaterThanOrEqual(0) },
  },
  {
    name: "POST /api/session/activity",
    call: () => ({ method: "POST", path: "/api/session/activity", data: {} }),
    refused: { anonymous: 401, disabledDoctor: 401, halfSignedIn: 401, crossSiteOwner: 403 },
    allowed: { caller: "owner", status: 200 },
  },
  {
    name: "GET /api/admin/audit",
    call: () => ({ method: "GET", path: "/api/admin/audit" }),
    refused: { ...NOT_ADMIN },
    allowed: {
      caller: "admin",
      status: 200,
      contentType: /^text\/csv\b/,
      check: (a) => {
        expect(a.text.split("\r\n")[0]).toBe("id,at_utc,action,actor_id,actor_name,actor_role,subject_id,subject_name,consult_id,ip,user_agent,detail,prev_hash,hash");
      },
    },
  },
  {
    name: "POST /api/admin/consults/:id/hold",
    call: (x) => ({ method: "POST", path: `/api/admin/consults/${x.consultId}/hold`, data: { reason: "Authorization test" } }),
    refused: { ...NOT_ADMIN, crossSiteAdmin: 403 },
    allowed: { caller: "admin", status: 201, check: (a) => void holdAnswer.parse(JSON.parse(a.text)) },
  },
  {
    // runs after the hold above: releases it
    name: "DELETE /api/admin/consults/:id/hold",
    call: (x) => ({ method: "DELETE", path: `/api/admin/consults/${x.consultId}/hold` }),
    refused: { ...NOT_ADMIN, crossSiteAdmin: 403 },
    allowed: { caller: "admin", status: 200 },
  },
  {
    name: "POST /api/admin/audit/verify",
    call: () => ({ method: "POST", path: "/api/admin/audit/verify", data: {} }),
    refused: { ...NOT_ADMIN, crossSiteAdmin: 403 },
    allowed: { caller: "admin", status: 200, check: (a) => expect(chainReport.parse(JSON.parse(a.text)).firstBroken).toBeUndefined() },
  },
  // For load balancers: anyone may ask, and the answers name no secret.
  { name: "GET /api/health", call: () => ({ method: "GET", path: "/api/health" }), refused: {}, allowed: { caller: "anonymous", status: 200 } },
  {
    name: "GET /api/ready",
    call: () => ({ method: "GET", path: "/api/ready" }),
    refused: {},
    allowed: { caller: "anonymous", status: 200, check: (a) => expect(JSON.parse(a.text)).toEqual({ ready: true, database: "ok", store: "ok" }) },
  },
  // The scheduled clean-up: only the scheduler's bearer token opens it, whatever the session.
  {
    name: "GET /api/cron/cleanup",
    call: () => ({ method: "GET", path: "/api/cron/cleanup" }),
    refused: { anonymous: 401, owner: 401, admin: 401, admittedPatient: 401, crossSiteAdmin: 401 },
    allowed: {
      caller: "scheduler",
      status: 200,
      check: (a) => expect(Object.keys(JSON.parse(a.text) as object).sort()).toEqual(["challenges", "rates", "retention", "signals", "throttles", "uploads"]),
    },
  },
  // One-time links: the token is the right to call; anyone holding it may, once.
  {
    name: "POST /api/setup",
    call: (x) => ({
      method: "POST",
      path: "/api/setup",
      data: { token: x.setupToken, name: "Authz Admin", email: `authz-admin-${x.setupToken.slice(0, 8).toLowerCase()}@parley.test`, password: "a long enough admin passphrase" },
    }),
    refused: { crossSiteOwner: 403 },
    allowed: { caller: "anonymous", status: 201, check: (a) => expect(accountAnswer.parse(JSON.parse(a.text)).role).toBe("admin") },
  },
  {
    name: "POST /api/account/password",
    call: (x) => ({ method: "POST", path: "/api/account/password", data: { token: x.passwordToken, password: "the target's new passphrase" } }),
    refused: { crossSiteOwner: 403 },
    allowed: { caller: "anonymous", status: 200, check: (a, x) => expect(accountAnswer.parse(JSON.parse(a.text)).email).toBe(x.staffTarget.email) },
  },
  // Second factors. The passkey ceremony itself needs a browser's authenticator (e2e/*.staff and
  // *.mfa specs); here the passkey routes' allowed call gets as far as its own check.
  {
    name: "POST /api/session/passkey-options",
    call: () => ({ method: "POST", path: "/api/session/passkey-options", data: {} }),
    refused: { crossSiteOwner: 403 },
    allowed: { caller: "anonymous", status: 200, check: (a) => void passkeyOptionsAnswer.parse(JSON.parse(a.text)) },
  },
  {
    name: "POST /api/session/second-factor",
    call: (x) => ({ method: "POST", path: "/api/session/second-factor", data: { code: totpCode(x.halfSecret, Date.now() + 30_000) } }),
    // only a sign-in that waits for a second factor has one to give
    refused: { anonymous: 401, disabledDoctor: 401, owner: 409, admin: 409, admittedPatient: 409, crossSiteOwner: 403 },
    allowed: {
      caller: "halfSignedIn",
      status: 200,
      check: async (_a, x) => expect((await send(x.halfSignedIn, { method: "POST", path: "/api/session/activity", data: {} })).status).toBe(200),
    },
  },
  {
    name: "GET /api/account/factors",
    call: () => ({ method: "GET", path: "/api/account/factors" }),
    refused: { anonymous: 401, disabledDoctor: 401, halfSignedIn: 401, admittedPatient: 403, waitingPatient: 403, foreignPatient: 403 },
    allowed: { caller: "owner", status: 200, check: (a) => void factorsView.parse(JSON.parse(a.text)) },
  },
  // The key backup (PROTOCOL §7.3): the person's own, staff only. By the time the allowed calls
  // run, the half-signed-in doctor has given its second factor (the entry above): it sets a backup
  // and is the one sign-in here that may unlock it.
  {
    name: "GET /api/account/key-backup",
    call: () => ({ method: "GET", path: "/api/account/key-backup" }),
    refused: { anonymous: 401, disabledDoctor: 401, halfSignedIn: 401, admittedPatient: 403, waitingPatient: 403, foreignPatient: 403 },
    allowed: { caller: "owner", status: 200, check: (a) => void keyBackupInfo.parse(JSON.parse(a.text)) },
  },
  {
    name: "PUT /api/account/key-backup",
    call: () => ({ method: "PUT", path: "/api/account/key-backup", data: backupBody() }),
    refused: { anonymous: 401, disabledDoctor: 401, halfSignedIn: 401, admittedPatient: 403, waitingPatient: 403, crossSiteOwner: 403 },
    allowed: { caller: "halfSignedIn", status: 200, check: (a) => void ok.parse(JSON.parse(a.text)) },
  },
  {
    name: "POST /api/account/key-backup/unlock",
    call: () => ({ method: "POST", path: "/api/account/key-backup/unlock", data: {} }),
    // a password alone (the owner's sign-in) does not open the backup
    refused: { anonymous: 401, disabledDoctor: 401, halfSignedIn: 401, owner: 403, otherDoctor: 403, admittedPatient: 403, waitingPatient: 403, crossSiteOwner: 403 },
    allowed: { caller: "halfSignedIn", status: 200, check: (a) => void keyBackupUnlockAnswer.parse(JSON.parse(a.text)) },
  },
  {
    name: "GET /api/account/key-copies",
    call: () => ({ method: "GET", path: "/api/account/key-copies?recipient=device" }),
    refused: { anonymous: 401, disabledDoctor: 401, halfSignedIn: 401, admittedPatient: 403, waitingPatient: 403, foreignPatient: 403 },
    allowed: { caller: "owner", status: 200, check: (a) => void keyCopiesAnswer.parse(JSON.parse(a.text)) },
  },
  {
    name: "POST /api/account/passkeys/options",
    call: () => ({ method: "POST", path: "/api/account/passkeys/options", data: {} }),
    refused: { anonymous: 401, disabledDoctor: 401, halfSignedIn: 401, admittedPatient: 403, waitingPatient: 403, crossSiteOwner: 403 },
    allowed: { caller: "owner", status: 200, check: (a) => void passkeyOptionsAnswer.parse(JSON.parse(a.text)) },
  },
  {
    name: "POST /api/account/passkeys",
    call: () => ({ method: "POST", path: "/api/account/passkeys", data: { challengeId: crypto.randomUUID(), response: { id: "x", type: "public-key" }, name: "Probe" } }),
    refused: { anonymous: 401, disabledDoctor: 401, halfSignedIn: 401, admittedPatient: 403, waitingPatient: 403, crossSiteOwner: 403 },
    // past authorization: an unknown challenge is refused as expired
    allowed: { caller: "owner", status: 410 },
  },
  {
    name: "DELETE /api/account/passkeys/:id",
    call: () => ({ method: "DELETE", path: `/api/account/passkeys/${crypto.randomUUID()}` }),
    refused: { anonymous: 401, disabledDoctor: 401, halfSignedIn: 401, admittedPatient: 403, waitingPatient: 403, crossSiteOwner: 403 },
    // past authorization: a passkey that is not the caller's is not found
    allowed: { caller: "owner", status: 404, check: (a) => expect(expectApiError(a).message).toBe("No such passkey") },
  },
  {
    // the other doctor's: the demo doctor must keep signing in with a password alone in later specs
    name: "POST /api/account/totp",
    call: () => ({ method: "POST", path: "/api/account/totp", data: {} }),
    refused: { anonymous: 401, disabledDoctor: 401, halfSignedIn: 401, admittedPatient: 403, waitingPatient: 403, crossSiteOwner: 403 },
    allowed: { caller: "otherDoctor", status: 201, check: (a) => void (otherSecret = totpStartAnswer.parse(JSON.parse(a.text)).secret) },
  },
  {
    name: "POST /api/account/totp/confirm",
    call: () => ({ method: "POST", path: "/api/account/totp/confirm", data: { code: totpCode(otherSecret) } }),
    refused: { anonymous: 401, disabledDoctor: 401, halfSignedIn: 401, admittedPatient: 403, waitingPatient: 403, crossSiteOwner: 403 },
    allowed: { caller: "otherDoctor", status: 200, check: (a) => expect(recoveryCodesAnswer.parse(JSON.parse(a.text)).recoveryCodes).toHaveLength(10) },
  },
  {
    name: "DELETE /api/account/totp",
    call: () => ({ method: "DELETE", path: "/api/account/totp" }),
    refused: { anonymous: 401, disabledDoctor: 401, halfSignedIn: 401, admittedPatient: 403, waitingPatient: 403, crossSiteOwner: 403 },
    allowed: { caller: "otherDoctor", status: 200 },
  },
  {
    name: "POST /api/admin/staff/:id/reset",
    call: (x) => ({ method: "POST", path: staffAt(x, "reset"), data: {} }),
    refused: { ...NOT_ADMIN, crossSiteAdmin: 403 },
    allowed: { caller: "admin", status: 200, check: (a) => expect(staffLinkAnswer.parse(JSON.parse(a.text)).staff.state).toBe("pending") },
  },
  // The clinic's records key (PROTOCOL §7.4): its public half for staff devices; making it and
  // reading records with it for admins only.
  {
    name: "GET /api/records-key",
    call: () => ({ method: "GET", path: "/api/records-key" }),
    refused: { anonymous: 401, disabledDoctor: 401, halfSignedIn: 401, admittedPatient: 403, waitingPatient: 403, foreignPatient: 403 },
    allowed: { caller: "owner", status: 200, check: (a) => void recordsKeyAnswer.parse(JSON.parse(a.text)) },
  },
  {
    name: "POST /api/admin/records-key",
    call: () => ({ method: "POST", path: "/api/admin/records-key", data: { publicKey: randomBytes(91).toString("base64url") } }),
    refused: { ...NOT_ADMIN, crossSiteAdmin: 403 },
    // past authorization: 91 bytes that are not a key (a real one would stay the clinic's for the rest of the run)
    allowed: { caller: "admin", status: 400, check: (a) => expect(expectApiError(a).message).toContain("not a P-256 public key") },
  },
  {
    name: "GET /api/admin/records",
    call: () => ({ method: "GET", path: "/api/admin/records" }),
    refused: NOT_ADMIN,
    allowed: { caller: "admin", status: 200, check: (a, x) => expect(recordListAnswer.parse(JSON.parse(a.text)).consults.map((c) => c.id)).toContain(x.consultId) },
  },
  {
    name: "POST /api/admin/records/:id",
    call: (x) => ({ method: "POST", path: `/api/admin/records/${x.consultId}`, data: {} }),
    refused: { ...NOT_ADMIN, crossSiteAdmin: 403 },
    allowed: { caller: "admin", status: 200, check: (a, x) => expect(recordAnswer.parse(JSON.parse(a.text)).consult.id).toBe(x.consultId) },
  },
  {
    name: "POST /api/admin/records/:id/files/:fileId",
    call: (x) => ({ method: "POST", path: `/api/admin/records/${x.consultId}/files/${crypto.randomUUID()}`, data: {} }),
    refused: { ...NOT_ADMIN, crossSiteAdmin: 403 },
    allowed: { caller: "admin", status: 404, check: (a) => expect(expectApiError(a).message).toBe("No such document in this consult") },
  },
  // A person's devices and linking (PROTOCOL §7.2): staff only, each their own. Past
  // authorization, the owner's calls fail on the state (no such device or link, no box key).
  {
    name: "GET /api/devices",
    call: () => ({ method: "GET", path: "/api/devices" }),
    refused: { anonymous: 401, disabledDoctor: 401, halfSignedIn: 401, admittedPatient: 403, waitingPatient: 403, foreignPatient: 403 },
    allowed: { caller: "owner", status: 200, check: (a, x) => expect(deviceListAnswer.parse(JSON.parse(a.text)).devices.map((d) => d.id)).toContain(x.doctorDeviceId) },
  },
  {
    name: "PUT /api/devices/:id/box-key",
    call: (x) => ({ method: "PUT", path: `/api/devices/${x.doctorDeviceId}/box-key`, data: { boxKey: newIdentityKey(), sig: randomBytes(64).toString("base64url") } }),
    refused: { anonymous: 401, disabledDoctor: 401, halfSignedIn: 401, otherDoctor: 404, admittedPatient: 403, waitingPatient: 403, crossSiteOwner: 403 },
    // past authorization: a signature that is not the device's
    allowed: { caller: "owner", status: 400, check: (a) => expect(expectApiError(a).message).toBe("The box key's signature is not this device's") },
  },
  {
    name: "DELETE /api/devices/:id",
    call: () => ({ method: "DELETE", path: `/api/devices/${crypto.randomUUID()}` }),
    refused: { anonymous: 401, disabledDoctor: 401, halfSignedIn: 401, admittedPatient: 403, waitingPatient: 403, crossSiteOwner: 403 },
    allowed: { caller: "owner", status: 404, check: (a) => expect(expectApiError(a).message).toBe("No such device of yours") },
  },
  {
    name: "POST /api/devices/links",
    call: (x) => ({ method: "POST", path: "/api/devices/links", data: { deviceId: x.doctorDeviceId } }),
    refused: { anonymous: 401, disabledDoctor: 401, halfSignedIn: 401, otherDoctor: 404, admittedPatient: 403, waitingPatient: 403, crossSiteOwner: 403 },
    allowed: { caller: "owner", status: 201, check: (a) => expect(newLinkAnswer.parse(JSON.parse(a.text)).code).toMatch(/^[A-Z2-7]{10}$/) },
  },
  {
    name: "POST /api/devices/links/join",
    call: (x) => ({ method: "POST", path: "/api/devices/links/join", data: { code: "ABCDEFGHIJ", deviceId: x.doctorDeviceId } }),
    // a password alone (the owner's sign-in) does not link a device
    refused: { anonymous: 401, disabledDoctor: 401, halfSignedIn: 401, owner: 403, admittedPatient: 403, waitingPatient: 403, crossSiteOwner: 403 },
    // past authorization (a sign-in with a second factor): the owner's device is not the caller's
    allowed: { caller: "halfSignedIn", status: 404 },
  },
  {
    name: "GET /api/devices/links/:id",
    call: (x) => ({ method: "GET", path: `/api/devices/links/${crypto.randomUUID()}?deviceId=${x.doctorDeviceId}` }),
    refused: { anonymous: 401, disabledDoctor: 401, halfSignedIn: 401, admittedPatient: 403, waitingPatient: 403, foreignPatient: 403 },
    allowed: { caller: "owner", status: 404, check: (a) => expect(expectApiError(a).message).toBe("No such device link") },
  },
  {
    name: "POST /api/devices/links/:id/messages",
    call: (x) => ({
      method: "POST",
      path: `/api/devices/links/${crypto.randomUUID()}/messages`,
      data: { deviceId: x.doctorDeviceId, message: { type: "commit", sid: "A".repeat(22), deviceId: x.doctorDeviceId, c: "A".repeat(43), reply: false } },
    }),
    refused: { anonymous: 401, disabledDoctor: 401, halfSignedIn: 401, admittedPatient: 403, waitingPatient: 403, crossSiteOwner: 403 },
    allowed: { caller: "owner", status: 404, check: (a) => expect(expectApiError(a).message).toBe("No such device link") },
  },
  {
    name: "POST /api/devices/links/:id/finish",
    call: (x) => ({ method: "POST", path: `/api/devices/links/${crypto.randomUUID()}/finish`, data: { deviceId: x.doctorDeviceId, outcome: "cancelled" } }),
    refused: { anonymous: 401, disabledDoctor: 401, halfSignedIn: 401, admittedPatient: 403, waitingPatient: 403, crossSiteOwner: 403 },
    allowed: { caller: "owner", status: 404, check: (a) => expect(expectApiError(a).message).toBe("No such device link") },
  },
  {
    name: "POST /api/devices",
    call: () => ({ method: "POST", path: "/api/devices", data: { identityKey: newIdentityKey() } }),
    refused: { anonymous: 401, disabledDoctor: 401, crossSiteOwner: 403 },
    allowed: { caller: "owner", status: 201, check: (a) => void registerDeviceAnswer.parse(JSON.parse(a.text)) },
  },
  {
    name: "POST /api/consults",
    call: () => ({ method: "POST", path: "/api/consults", data: {} }),
    refused: { anonymous: 401, disabledDoctor: 401, foreignPatient: 403, admittedPatient: 403, waitingPatient: 403, revokedPatient: 403, admin: 403, crossSiteOwner: 403 },
    allowed: { caller: "owner", status: 201, check: (a) => void createConsultAnswer.parse(JSON.parse(a.text)) },
  },
  {
    name: "GET /api/consults/:id",
    call: (x) => ({ method: "GET", path: `/api/consults/${x.consultId}` }),
    refused: { ...OUTSIDERS },
    allowed: {
      caller: "owner",
      status: 200,
      check: (a, x) => {
        const snap = roomSnapshot.parse(JSON.parse(a.text));
        expect(snap.consult.id).toBe(x.consultId);
        expect(snap.me.id).toBe(x.doctorPid);
      },
    },
  },
  {
    name: "GET /api/consults/:id/events",
    call: (x) => ({ method: "GET", path: `/api/consults/${x.consultId}/events` }),
    stream: true,
    refused: { ...OUTSIDERS },
    allowed: { caller: "admittedPatient", status: 200 },
  },
  {
    name: "POST /api/consults/:id/signals",
    call: (x) => ({ method: "POST", path: `/api/consults/${x.consultId}/signals`, data: { type: "authz-probe", payload: { probe: true } } }),
    refused: { ...OUTSIDERS, waitingPatient: 403, crossSiteOwner: 403 },
    allowed: { caller: "admittedPatient", status: 201, check: (a) => void ok.parse(JSON.parse(a.text)) },
  },
  {
    name: "POST /api/consults/:id/invites",
    call: (x) => ({ method: "POST", path: `/api/consults/${x.consultId}/invites`, data: {} }),
    refused: { ...OUTSIDERS, ...NOT_OWNER, crossSiteOwner: 403 },
    allowed: {
      caller: "owner",
      status: 201,
      check: (a) => {
        // kept unused until the consult ends: its link must then be refused
        pendingInviteToken = inviteTokenOf(inviteAnswer.parse(JSON.parse(a.text)).url);
      },
    },
  },
  {
    name: "POST /api/consults/:id/admit",
    call: (x) => ({ method: "POST", path: `/api/consults/${x.consultId}/admit`, data: { participantId: x.waitingPid } }),
    refused: { ...OUTSIDERS, ...NOT_OWNER, crossSiteOwner: 403 },
    allowed: {
      caller: "owner",
      status: 200,
      check: async (_a, x) => expect((await getSnapshot(x.waiting, x.consultId)).me.state).toBe("admitted"),
    },
  },
  {
    name: "DELETE /api/consults/:id/invites/:inviteId",
    call: (x) => ({ method: "DELETE", path: `/api/consults/${x.consultId}/invites/${x.waitingInviteId}` }),
    refused: { ...OUTSIDERS, ...NOT_OWNER, crossSiteOwner: 403 },
    allowed: {
      caller: "owner",
      status: 200,
      // the patient who joined with the revoked invite is out at once
      check: async (_a, x) => expect((await send(x.waiting, { method: "GET", path: `/api/consults/${x.consultId}` })).status).toBe(404),
    },
  },
  {
    name: "POST /api/consults/:id/key-copies",
    call: (x) => ({
      method: "POST",
      path: `/api/consults/${x.consultId}/key-copies`,
      data: { fromDeviceId: x.doctorDeviceId, copies: [{ recipient: "device", recipientId: x.doctorDeviceId, kind: "consult", epoch: 0, keyId: b64(16), box: b64(183) }] },
    }),
    refused: { ...OUTSIDERS, ...NOT_OWNER, crossSiteOwner: 403 },
    allowed: { caller: "owner", status: 201, check: (a) => expect(JSON.parse(a.text)).toEqual({ added: 1 }) },
  },
  {
    name: "GET /api/consults/:id/ice-servers",
    call: (x) => ({ method: "GET", path: `/api/consults/${x.consultId}/ice-servers` }),
    // a waiting patient may ask too: the call starts the moment they are admitted
    refused: { ...OUTSIDERS },
    allowed: { caller: "admittedPatient", status: 200, check: (a) => void iceServersAnswer.parse(JSON.parse(a.text)) },
  },
  // Documents: the admitted patient has an upload of one part under way (World.file).
  {
    name: "GET /api/consults/:id/files",
    call: (x) => ({ method: "GET", path: `/api/consults/${x.consultId}/files` }),
    refused: { ...OUTSIDERS, waitingPatient: 403 },
    allowed: { caller: "admittedPatient", status: 200, check: (a, x) => expect(filesAnswer.parse(JSON.parse(a.text)).files.map((f) => f.id)).toContain(x.file.id) },
  },
  {
    name: "POST /api/consults/:id/files",
    call: (x) => ({ method: "POST", path: `/api/consults/${x.consultId}/files`, data: { fileId: crypto.randomUUID(), size: 100, partSize: 5 * 1024 * 1024 } }),
    refused: { ...OUTSIDERS, waitingPatient: 403, crossSiteOwner: 403 },
    allowed: { caller: "owner", status: 201, check: (a) => expect(fileAnswer.parse(JSON.parse(a.text)).file.status).toBe("uploading") },
  },
  {
    name: "POST /api/consults/:id/files/:fileId/parts",
    call: (x) => ({ method: "POST", path: `/api/consults/${x.consultId}/files/${x.file.id}/parts`, data: { parts: [1] } }),
    // only the person sending the document gets upload URLs for it
    refused: { ...OUTSIDERS, waitingPatient: 403, owner: 403, crossSiteOwner: 403 },
    allowed: { caller: "admittedPatient", status: 200, check: (a) => expect(filePartsAnswer.parse(JSON.parse(a.text)).urls).toHaveLength(1) },
  },
  {
    name: "POST /api/consults/:id/files/:fileId/complete",
    call: (x) => ({ method: "POST", path: `/api/consults/${x.consultId}/files/${x.file.id}/complete`, data: { parts: [{ partNumber: 1, etag: x.file.etag }] } }),
    refused: { ...OUTSIDERS, waitingPatient: 403, owner: 403, crossSiteOwner: 403 },
    allowed: { caller: "admittedPatient", status: 200, check: (a) => expect(fileAnswer.parse(JSON.parse(a.text)).file.status).toBe("ready") },
  },
  {
    name: "GET /api/consults/:id/files/:fileId",
    call: (x) => ({ method: "GET", path: `/api/consults/${x.consultId}/files/${x.file.id}` }),
    refused: { ...OUTSIDERS, waitingPatient: 403 },
    allowed: { caller: "owner", status: 200, check: (a) => expect(fileDownloadAnswer.parse(JSON.parse(a.text)).url).not.toBe("") },
  },
  {
    name: "DELETE /api/consults/:id/files/:fileId",
    call: (x) => ({ method: "DELETE", path: `/api/consults/${x.consultId}/files/${x.file.id}` }),
    refused: { ...OUTSIDERS, waitingPatient: 403, crossSiteOwner: 403 },
    allowed: {
      caller: "owner",
      status: 200,
      check: async (_a, x) => expect((await send(x.doctor, { method: "GET", path: `/api/consults/${x.consultId}/files/${x.file.id}` })).status).toBe(404),
    },
  },
  {
    name: "POST /api/consults/:id/leave",
    call: (x) => ({ method: "POST", path: `/api/consults/${x.consultId}/leave`, data: {} }),
    refused: { ...OUTSIDERS, crossSiteOwner: 403 },
    allowed: {
      caller: "admittedPatient",
      status: 200,
      check: async (_a, x) => expect((await getSnapshot(x.patient, x.consultId)).me.state).toBe("left"),
    },
  },
  {
    name: "POST /api/consults/:id/rejoin",
    call: (x) => ({ method: "POST", path: `/api/consults/${x.consultId}/rejoin`, data: {} }),
    refused: { ...OUTSIDERS, crossSiteOwner: 403 },
    allowed: {
      // runs after the leave above: the patient who left goes back to the waiting room
      caller: "admittedPatient",
      status: 200,
      check: async (_a, x) => expect((await getSnapshot(x.patient, x.consultId)).me.state).toBe("waiting"),
    },
  },
  {
    name: "POST /api/consults/:id/verification",
    call: (x) => ({ method: "POST", path: `/api/consults/${x.consultId}/verification`, data: { result: "mismatch" } }),
    refused: { ...OUTSIDERS, waitingPatient: 403, crossSiteOwner: 403 },
    allowed: { caller: "owner", status: 200, check: (a) => void ok.parse(JSON.parse(a.text)) },
  },
  {
    name: "POST /api/consults/:id/transcript",
    call: (x) => ({ method: "POST", path: `/api/consults/${x.consultId}/transcript`, data: { messages: 3 } }),
    refused: { ...OUTSIDERS, ...NOT_OWNER, crossSiteOwner: 403 },
    allowed: { caller: "owner", status: 200, check: (a) => void ok.parse(JSON.parse(a.text)) },
  },
  {
    name: "GET /api/consults/:id/messages",
    call: (x) => ({ method: "GET", path: `/api/consults/${x.consultId}/messages` }),
    refused: { ...OUTSIDERS, waitingPatient: 403 },
    // the owner: by now in the allowed run the patient has left and rejoined the waiting room
    allowed: { caller: "owner", status: 200, check: (a) => void messagesAnswer.parse(JSON.parse(a.text)) },
  },
  {
    name: "POST /api/consults/:id/messages",
    // the owner's device: anyone else posting with it is refused too (not their device)
    call: (x) => ({ method: "POST", path: `/api/consults/${x.consultId}/messages`, data: sealedMessageBody(x.doctorDeviceId, 0) }),
    refused: { ...OUTSIDERS, waitingPatient: 403, admittedPatient: 403, crossSiteOwner: 403 },
    allowed: { caller: "owner", status: 201 },
  },
  {
    name: "POST /api/consults/:id/messages/receipts",
    call: (x) => ({ method: "POST", path: `/api/consults/${x.consultId}/messages/receipts`, data: { senderDeviceId: x.doctorDeviceId, seq: 0, state: "read" } }),
    refused: { ...OUTSIDERS, waitingPatient: 403, crossSiteOwner: 403 },
    allowed: { caller: "owner", status: 200, check: (a) => void ok.parse(JSON.parse(a.text)) },
  },
  {
    name: "POST /api/consults/:id/presence",
    call: (x) => ({ method: "POST", path: `/api/consults/${x.consultId}/presence`, data: { status: "away", typing: false } }),
    refused: { ...OUTSIDERS, waitingPatient: 403, crossSiteOwner: 403 },
    allowed: { caller: "owner", status: 200, check: (a) => void ok.parse(JSON.parse(a.text)) },
  },
  {
    name: "DELETE /api/consults/:id/messages",
    call: (x) => ({ method: "DELETE", path: `/api/consults/${x.consultId}/messages` }),
    refused: { ...OUTSIDERS, ...NOT_OWNER, crossSiteOwner: 403 },
    allowed: {
      caller: "owner",
      status: 200,
      check: async (a, x) => {
        expect(z.object({ deleted: z.number() }).parse(JSON.parse(a.text)).deleted).toBeGreaterThan(0);
        const left = await send(x.doctor, { method: "GET", path: `/api/consults/${x.consultId}/messages` });
        expect(messagesAnswer.parse(JSON.parse(left.text)).messages).toEqual([]);
      },
    },
  },
  {
    name: "POST /api/consults/:id/end",
    call: (x) => ({ method: "POST", path: `/api/consults/${x.consultId}/end`, data: {} }),
    refused: { ...OUTSIDERS, ...NOT_OWNER, crossSiteOwner: 403 },
    allowed: {
      caller: "owner",
      status: 200,
      check: async (_a, x) => expect((await getSnapshot(x.doctor, x.consultId)).consult.status).toBe("ended"),
    },
  },
  {
    // last: it ends the caller's sessions (the other doctor's, whom no later allowed call uses)
    name: "POST /api/account/sign-out-everywhere",
    call: () => ({ method: "POST", path: "/api/account/sign-out-everywhere", data: {} }),
    refused: { anonymous: 401, disabledDoctor: 401, admittedPatient: 403, waitingPatient: 403, foreignPatient: 403, revokedPatient: 403, crossSiteOwner: 403 },
    allowed: {
      caller: "otherDoctor",
      status: 200,
      check: async (a, x) => {
        expect(signedOutAnswer.parse(JSON.parse(a.text)).ended).toBeGreaterThanOrEqual(1);
        expect((await send(x.otherDoctor, { method: "POST", path: "/api/session/activity", data: {} })).status).toBe(401);
      },
    },
  },
];

async function perform(route: RouteSpec, caller: CallerKey, x: World): Promise<Answer> {
  const { actor, headers } = CALLERS[caller].pick(x);
  const call = route.call(x);
  const merged = { ...call, headers: { ...call.headers, ...headers } };
  return route.stream ? EventStream.answer(actor, merged.path, merged.headers) : send(actor, merged);
}

test.beforeAll(async ({ playwright }, testInfo) => {
  const baseURL = projectBaseURL(testInfo.project.use.baseURL);
  const db = await TestDb.connect();
  const tag = Math.random().toString(36).slice(2, 8);

  const doctor = await signInStaff(playwright, baseURL, DEMO_DOCTOR);
  const admin = await signInStaff(playwright, baseURL, DEMO_ADMIN);
  const second = await db.createStaff("doctor", `Dr Other ${tag}`);
  const otherDoctor = await signInStaff(playwright, baseURL, second.email, second.password, "other doctor");
  const anon = await anonymous(playwright, baseURL);
  const third = await db.createStaff("doctor", `Dr Disabled ${tag}`);
  const disabledDoctor = await signInStaff(playwright, baseURL, third.email, third.password, "disabled doctor");
  await db.disableUser(third.id);
  const staffTarget = await db.createStaff("doctor", `Dr Target ${tag}`);
  const half = await halfSignedInDoctor(playwright, baseURL, await db.createStaff("doctor", `Dr Half ${tag}`));

  // The consult under test: an admitted patient, a waiting one, and one whose invite was revoked
  // after being admitted.
  const consult = await createConsult(doctor);
  const firstInviteId = (await getSnapshot(doctor, consult.id)).invite?.id ?? "";
  const patient = await redeemInvite(playwright, baseURL, consult.token, `Pat Admitted ${tag}`);
  const patientPid = await participantId(patient, consult.id);
  await admit(doctor, consult.id, patientPid);

  const waitingInvite = await newInvite(doctor, consult.id);
  const waiting = await redeemInvite(playwright, baseURL, waitingInvite.token, `Wanda Waiting ${tag}`);
  const waitingPid = await participantId(waiting, consult.id);

  const revokedInvite = await newInvite(doctor, consult.id);
  const revoked = await redeemInvite(playwright, baseURL, revokedInvite.token, `Rex Revoked ${tag}`);
  const revokedPid = await participantId(revoked, consult.id);
  await admit(doctor, consult.id, revokedPid);
  await revokeInvite(doctor, consult.id, revokedInvite.id);

  // Another doctor's consult, with its own admitted patient.
  const foreign = await admittedConsult(playwright, otherDoctor, `Fay Foreign ${tag}`);

  const doctorPid = await participantId(doctor, consult.id);
  const device = await send(doctor, { method: "POST", path: "/api/devices", data: { identityKey: newIdentityKey() } });
  const doctorDeviceId = registerDeviceAnswer.parse(JSON.parse(device.text)).deviceId;
  // a box key, so key copies may go to it and it may make a device link
  await db.giveBoxKey(doctorDeviceId);

  const fileId = crypto.randomUUID();
  okJson(await send(patient, { method: "POST", path: `/api/consults/${consult.id}/files`, data: { fileId, size: 100, partSize: 5 * 1024 * 1024 } }), fileAnswer, 201);
  const parts = okJson(await send(patient, { method: "POST", path: `/api/consults/${consult.id}/files/${fileId}/parts`, data: { parts: [1] } }), filePartsAnswer);
  // The part URL is the store's (S3) or this server's (the filesystem store): the bytes go there directly.
  const put = await patient.request.fetch(parts.urls[0]?.url ?? "", { method: "PUT", data: Buffer.alloc(100, 7), failOnStatusCode: false });
  expect(put.status(), await put.text()).toBe(200);
  const file = { id: fileId, etag: put.headers().etag ?? "" };
  w = {
    db,
    anon,
    doctor,
    doctorPid,
    doctorDeviceId,
    otherDoctor,
    admin,
    disabledDoctor,
    consultId: consult.id,
    patient,
    patientPid,
    waiting,
    waitingPid,
    waitingInviteId: waitingInvite.id,
    revoked,
    revokedPid,
    foreignConsultId: foreign.consultId,
    foreignPatient: foreign.patient,
    foreignPatientPid: foreign.patientParticipantId,
    file,
    staffTarget: { id: staffTarget.id, email: staffTarget.email },
    halfSignedIn: half.actor,
    setupToken: await db.accountLink("setup"),
    passwordToken: await db.accountLink("password", staffTarget.id),
    halfSecret: half.secret,
    secrets: [
      `Pat Admitted ${tag}`,
      `Wanda Waiting ${tag}`,
      `Rex Revoked ${tag}`,
      doctorPid,
      patientPid,
      waitingPid,
      revokedPid,
      firstInviteId,
      waitingInvite.id,
      revokedInvite.id,
      waitingInvite.token,
      revokedInvite.token,
      consult.token,
      patient.user?.id ?? "",
      waiting.user?.id ?? "",
      revoked.user?.id ?? "",
    ].filter((s) => s !== ""),
  };
});

test.afterAll(async () => {
  if (!w) return;
  await dispose(w.halfSignedIn, w.anon, w.doctor, w.otherDoctor, w.admin, w.disabledDoctor, w.patient, w.waiting, w.revoked, w.foreignPatient);
  await w.db.close();
});

/** A refused answer: the status and code expected, the error shape, nothing about the consult's people. */
function expectRefused(answer: Answer, status: Refusal, call: Call, x: World) {
  expect(answer.status, `answer: ${answer.text}`).toBe(status);
  const error = expectApiError(answer);
  expect(error.code).toBe(CODE[status]);
  for (const secret of x.secrets) {
    if (call.path.includes(secret)) continue;
    expect(answer.text, "a refused answer names someone or something of the consult").not.toContain(secret);
  }
}

test.describe("refused callers", () => {
  for (const route of ROUTES) {
    for (const [caller, status] of Object.entries(route.refused) as [CallerKey, Refusal][]) {
      test(`${route.name}: ${CALLERS[caller].title} → ${status}`, async () => {
        const scope = [w.consultId, w.foreignConsultId];
        const before = await w.db.state(scope);
        const answer = await perform(route, caller, w);
        expectRefused(answer, status, route.call(w), w);
        expect(await w.db.state(scope), "a refused request wrote to the database").toEqual(before);
      });
    }
  }

  // Ids of one consult used through another: each consult's ids only work inside it.
  const foreignIdCases: { title: string; run: (x: World) => Promise<Answer>; status: number; code: string }[] = [
    {
      title: "another doctor revokes this consult's invite through their own consult → 404",
      run: (x) => send(x.otherDoctor, { method: "DELETE", path: `/api/consults/${x.foreignConsultId}/invites/${x.waitingInviteId}` }),
      status: 404,
      code: "not_found",
    },
    {
      title: "another doctor admits this consult's waiting patient into their own consult → 404",
      run: (x) => send(x.otherDoctor, { method: "POST", path: `/api/consults/${x.foreignConsultId}/admit`, data: { participantId: x.waitingPid } }),
      status: 404,
      code: "not_found",
    },
    {
      title: "the owner admits another consult's patient into this one → 404",
      run: (x) => send(x.doctor, { method: "POST", path: `/api/consults/${x.consultId}/admit`, data: { participantId: x.foreignPatientPid } }),
      status: 404,
      code: "not_found",
    },
    {
      title: "a patient of another consult signals this consult's patient through their own consult → 400",
      run: (x) => send(x.foreignPatient, { method: "POST", path: `/api/consults/${x.foreignConsultId}/signals`, data: { to: x.patientPid, type: "offer", payload: {} } }),
      status: 400,
      code: "invalid_input",
    },
    {
      title: "the owner signals the waiting patient (not admitted) → 400",
      run: (x) => send(x.doctor, { method: "POST", path: `/api/consults/${x.consultId}/signals`, data: { to: x.waitingPid, type: "offer", payload: {} } }),
      status: 400,
      code: "invalid_input",
    },
    {
      title: "the waiting patient sends its handshake commitment to the admitted patient, not the doctor → 403",
      run: (x) => send(x.waiting, { method: "POST", path: `/api/consults/${x.consultId}/signals`, data: { to: x.patientPid, type: "commit", payload: WAITING_COMMIT } }),
      status: 403,
      code: "forbidden",
    },
    {
      title: "the waiting patient sends the doctor an offer (only a commitment may leave the waiting room) → 403",
      run: (x) => send(x.waiting, { method: "POST", path: `/api/consults/${x.consultId}/signals`, data: { to: x.doctorPid, type: "offer", payload: {} } }),
      status: 403,
      code: "forbidden",
    },
    {
      title: "the waiting patient broadcasts a commitment (it must name the doctor) → 403",
      run: (x) => send(x.waiting, { method: "POST", path: `/api/consults/${x.consultId}/signals`, data: { type: "commit", payload: WAITING_COMMIT } }),
      status: 403,
      code: "forbidden",
    },
  ];
  for (const c of foreignIdCases) {
    test(c.title, async () => {
      const scope = [w.consultId, w.foreignConsultId];
      const before = await w.db.state(scope);
      const answer = await c.run(w);
      expect(answer.status, answer.text).toBe(c.status);
      expect(expectApiError(answer).code).toBe(c.code);
      expect(await w.db.state(scope), "a refused request wrote to the database").toEqual(before);
    });
  }

  // So that admission starts at the reveal (PROTOCOL §2.1, docs/protocol.md): the commitment is a
  // hash; the doctor's device keeps it until it admits the patient.
  test("a waiting patient's handshake commitment reaches the doctor's stream, and no one else's", async () => {
    const after = (await getSnapshot(w.doctor, w.consultId)).lastSeq;
    const doctor = (await EventStream.open(w.doctor, `/api/consults/${w.consultId}/events?after=${after}`)).stream;
    const patient = (await EventStream.open(w.patient, `/api/consults/${w.consultId}/events?after=${after}`)).stream;
    try {
      const answer = await send(w.waiting, { method: "POST", path: `/api/consults/${w.consultId}/signals`, data: { to: w.doctorPid, type: "commit", payload: WAITING_COMMIT } });
      expect(answer.status, answer.text).toBe(201);
      const isCommit = (e: ReceivedEvent) => e.data.kind === "signal" && e.data.type === "commit" && e.data.from === w.waitingPid;
      await expect.poll(() => doctor.events().filter(isCommit).length, { intervals: [50] }).toBe(1);
      expect(doctor.events().find(isCommit)?.data.payload).toEqual(WAITING_COMMIT);
      // The admitted patient's stream moves on (a later signal to them arrives) without the commitment.
      await send(w.doctor, { method: "POST", path: `/api/consults/${w.consultId}/signals`, data: { to: w.patientPid, type: "test", payload: { sentinel: true } } });
      await expect.poll(() => patient.events().some((e) => e.data.type === "test"), { intervals: [50] }).toBe(true);
      expect(patient.events().filter(isCommit)).toEqual([]);
    } finally {
      await Promise.all([doctor.close(), patient.close()]);
    }
  });

  test("a waiting patient's snapshot shows only the doctor and themself", async () => {
    const snap = await getSnapshot(w.waiting, w.consultId);
    expect(snap.me.id).toBe(w.waitingPid);
    expect(snap.invite).toBeNull();
    expect(snap.participants.map((p) => p.id).sort()).toEqual([w.doctorPid, w.waitingPid].sort());
    const text = JSON.stringify(snap);
    for (const secret of [w.patientPid, w.revokedPid, ...w.secrets.filter((s) => s.startsWith("Pat ") || s.startsWith("Rex "))]) {
      expect(text).not.toContain(secret);
    }
  });
});

test("an invite link redeems once; a revoked one not at all", async ({ playwright }) => {
  const consult = await createConsult(w.doctor);
  const first = await redeemInvite(playwright, w.doctor.baseURL, consult.token, "Once Only");
  try {
    const before = await w.db.state([consult.id]);
    const second = redeemInvite(playwright, w.doctor.baseURL, consult.token, "Twice Tried");
    await expect(second).rejects.toBeInstanceOf(SignInRefused);
    await expect(second).rejects.toMatchObject({ code: "used" });
    const revoked = await newInvite(w.doctor, consult.id);
    await revokeInvite(w.doctor, consult.id, revoked.id);
    const afterRevoke = await w.db.state([consult.id]);
    await expect(redeemInvite(playwright, w.doctor.baseURL, revoked.token, "Revoked Link")).rejects.toMatchObject({ code: "revoked" });
    await expect(redeemInvite(playwright, w.doctor.baseURL, "A".repeat(43), "Made Up")).rejects.toMatchObject({ code: "unknown" });
    // Refused redemptions create no guest and no participant.
    expect((await w.db.state([consult.id])).counts.Participant).toBe(afterRevoke.counts.Participant);
    expect(before.counts.Participant).toBe(afterRevoke.counts.Participant);
  } finally {
    await dispose(first);
  }
});

// A waiting patient learns nothing about anyone else in the consult: its stream carries only its
// own admission events (as its snapshot shows only the doctor and itself).
test("a waiting patient's event stream does not show the consult's other patients", async ({ playwright }) => {
  const prior = await admittedConsult(playwright, w.doctor, `Prior Patient ${Math.random().toString(36).slice(2, 8)}`);
  // Every patient is "Patient" to the server (PROTOCOL §6): the earlier one is told apart by its user id.
  const priorUserId = (await getSnapshot(prior.patient, prior.consultId)).me.userId;
  const invite = await newInvite(w.doctor, prior.consultId);
  const next = await redeemInvite(playwright, w.doctor.baseURL, invite.token, "Next Waiting");
  try {
    const nextPid = await participantId(next, prior.consultId);
    const { stream } = await EventStream.open(next, `/api/consults/${prior.consultId}/events?after=0`);
    try {
      expect(stream.status).toBe(200);
      // Admitting them is the sentinel: everything before it was read while they were waiting.
      await admit(w.doctor, prior.consultId, nextPid);
      const isOwnAdmission = (e: ReceivedEvent) => e.data.type === "admitted" && JSON.stringify(e.data.payload).includes(nextPid);
      await expect.poll(() => stream.events().some(isOwnAdmission), { intervals: [50] }).toBe(true);
      const sentinel = stream.events().find(isOwnAdmission)?.id ?? 0;
      const whileWaiting = JSON.stringify(stream.events().filter((e) => e.id < sentinel));
      expect(whileWaiting, "the earlier patient's user id reached the waiting room").not.toContain(priorUserId);
      expect(whileWaiting, "the earlier patient's participant id reached the waiting room").not.toContain(prior.patientParticipantId);
    } finally {
      await stream.close();
    }
  } finally {
    await dispose(prior.patient, next);
  }
});

test("revoking a patient's invite ends their open event stream", async ({ playwright }) => {
  const consult = await createConsult(w.doctor);
  const inviteId = (await getSnapshot(w.doctor, consult.id)).invite?.id;
  expect(inviteId).toBeDefined();
  const patient = await redeemInvite(playwright, w.doctor.baseURL, consult.token, "Stream Revokee");
  try {
    const pid = await participantId(patient, consult.id);
    await admit(w.doctor, consult.id, pid);
    const { stream } = await EventStream.open(patient, `/api/consults/${consult.id}/events`);
    try {
      expect(stream.status).toBe(200);
      await expect.poll(() => stream.events().some((e) => e.data.type === "admitted" && e.data.to === null), { intervals: [50] }).toBe(true);
      await revokeInvite(w.doctor, consult.id, inviteId ?? "");
      // The server closes the stream itself (within one poll tick at most).
      await expect.poll(() => stream.ended, { timeout: 10_000, intervals: [50] }).toBe(true);
      expect(stream.failure).toBeUndefined();
      const after = await EventStream.answer(patient, `/api/consults/${consult.id}/events`);
      expect(after.status).toBe(404);
    } finally {
      await stream.close();
    }
  } finally {
    await dispose(patient);
  }
});

test.describe("allowed callers (the same requests succeed)", () => {
  test.describe.configure({ mode: "serial" });
  for (const route of ROUTES) {
    test(`${route.name}: ${CALLERS[route.allowed.caller].title} → ${route.allowed.status}`, async () => {
      const { actor, headers } = CALLERS[route.allowed.caller].pick(w);
      const call = route.call(w);
      if (route.stream) {
        const { stream } = await EventStream.open(actor, call.path, headers);
        try {
          expect(stream.status).toBe(route.allowed.status);
          expect(stream.contentType).toMatch(/^text\/event-stream\b/);
        } finally {
          await stream.close();
        }
        return;
      }
      const answer = await send(actor, { ...call, headers: { ...call.headers, ...headers } });
      expect(answer.status, answer.text).toBe(route.allowed.status);
      expect(answer.contentType).toMatch(route.allowed.contentType ?? /^application\/json\b/);
      await route.allowed.check?.(answer, w);
    });
  }

  test("once ended: admit, invites and signals answer 410, and an unused invite link is refused", async ({ playwright }) => {
    const scope = [w.consultId];
    const before = await w.db.state(scope);
    const calls: Call[] = [
      { method: "POST", path: `/api/consults/${w.consultId}/admit`, data: { participantId: w.patientPid } },
      { method: "POST", path: `/api/consults/${w.consultId}/invites`, data: {} },
      { method: "POST", path: `/api/consults/${w.consultId}/signals`, data: { type: "offer", payload: {} } },
    ];
    for (const call of calls) {
      const answer = await send(w.doctor, call);
      expect(answer.status, `${call.path}: ${answer.text}`).toBe(410);
      expect(expectApiError(answer).code).toBe("gone");
    }
    expect(await w.db.state(scope)).toEqual(before);
    expect(pendingInviteToken, "the invites test left a link").toBeDefined();
    await expect(redeemInvite(playwright, w.doctor.baseURL, pendingInviteToken ?? "", "Too Late")).rejects.toMatchObject({ code: "ended" });
  });
});
