// What a call shows the room (lib/rtc/call.ts): its connection state, why it failed or ended, the
// other side's media, the end-to-end verification (lib/rtc/verification.ts), and what it is given.
import type { ConsultKey } from "@/lib/crypto";
import type { Clock } from "@/lib/client/clock";
import type { CallMessage, ChainHeadMessage } from "./messages";
import type { CertificateFactory, DeviceKeys, Handshake } from "./handshake";
import type { PeerFactory } from "./peer-link";
import type { CallMarks } from "./call-timeline";
import type { E2eeReport } from "@/lib/shared/api";

export type CallState = "waiting" | "connecting" | "connected" | "reconnecting" | "failed" | "ended";

/** Why the call is failed or ended, for the words the room shows. */
export type CallProblem =
  | "timeout"
  | "ice-failed"
  | "peer-error"
  | "peer-left"
  | "hung-up"
  | "handshake"
  | "certificate"
  | "mismatch"
  /** the TURN server refused this device's credentials (401/403) */
  | "turn-refused"
  /** no TURN server answered, and calls may only go through one */
  | "turn-unreachable";

export type RemoteMedia = { audio: boolean; video: boolean; hasAudio: boolean; hasVideo: boolean };

export type E2eeStatus = "handshaking" | "unverified" | "verified" | "mismatch" | "key-changed";

export type E2ee = {
  status: E2eeStatus;
  /** the call code, once final */
  code?: string;
  confirmedByMe: boolean;
  confirmedByPeer: boolean;
  /** the connection's remote certificate matched the peer's verified hello */
  dtlsChecked: boolean;
  /** the peer's identity key (SPKI), once verified */
  peerIdentity?: Uint8Array;
  /** the consult key this device holds for chat and documents (its epoch), once sent or received */
  consultKeyEpoch?: number;
  /** that key went to (or came from) a device on trust, before the codes were compared */
  consultKeyProvisional?: boolean;
  /**
   * Handshakes started over in this call because a new peer session appeared after ours revealed
   * (a reload, a dropped connection — or a server forcing restarts to try more call codes).
   */
  restarts: number;
};

/** Restarts in one call from which the room warns (a reload or two is normal). */
export const RESTARTS_SHOWN = 3;

export const INITIAL_E2EE: E2ee = { status: "handshaking", confirmedByMe: false, confirmedByPeer: false, dtlsChecked: false, restarts: 0 };

export type CallSnapshot = {
  state: CallState;
  problem?: CallProblem;
  remoteStream?: MediaStream;
  remoteMedia?: RemoteMedia;
  e2ee: E2ee;
};

export const INITIAL_CALL: CallSnapshot = { state: "waiting", e2ee: INITIAL_E2EE };

/** What the device remembers about people it has met (lib/client/device-identity.ts `trustFor`). */
export type Trust = {
  /** the pinned identity of this counterpart: new, the same, or changed */
  pin(peerIdentity: Uint8Array): Promise<"new" | "same" | "changed">;
  /** a key change the user acknowledged: pin the new key (it is unverified until compared) */
  acceptChange(peerIdentity: Uint8Array): Promise<void>;
  isVerified(peerIdentity: Uint8Array): Promise<boolean>;
  /** the key may be trusted on first use (TRUST_ON_FIRST_USE): pinned, and not a change acknowledged but not yet compared */
  mayTrustOnFirstUse(peerIdentity: Uint8Array): Promise<boolean>;
  rememberVerified(peerIdentity: Uint8Array): Promise<void>;
};

/**
 * The consult key (PROTOCOL §3): the owner device sends it, every other device receives it.
 * - `forPeer`: the key for the peer with this identity key; `onTrust` when the codes were not
 *   compared (TRUST_ON_FIRST_USE). A new epoch when the current one went to another identity, or
 *   went out on trust and this hand-over follows a comparison (lib/client/key-handover.ts).
 *   `provisional`: this epoch went to some device on trust.
 * - `rotate`: a new epoch now (after "the codes differ").
 * - `receive`: a key from the verified owner; `provisional` when this side had not compared codes.
 */
export type ConsultKeys =
  | { role: "owner"; forPeer(peerIdentity: Uint8Array, onTrust: boolean): Promise<ConsultKey & { provisional: boolean }>; rotate(): Promise<ConsultKey> }
  | { role: "recipient"; receive(k: ConsultKey, provisional: boolean): Promise<"added" | "known"> };

/** What a call session (lib/rtc/call.ts) is given. */
export type CallOptions = {
  consultKeys?: ConsultKeys;
  /** the doctor's device creates the offer */
  initiator: boolean;
  consultId: string;
  keys: DeviceKeys;
  trust: Trust;
  /** ICE servers and policy for a new peer connection (TURN credentials expire: asked for each time) */
  rtcConfig: () => Promise<RTCConfiguration>;
  /** from starting a peer connection to media flowing */
  connectTimeoutMs?: number;
  /** posts a message to the other participant (a signal on the event log) */
  send(msg: CallMessage): Promise<void>;
  onChange(snapshot: CallSnapshot): void;
  /** tells the server's audit trail what happened to the encryption (lib/rtc/verification.ts) */
  onReport?(report: E2eeReport): void;
  /** the clinic allows trust on first use (PROTOCOL §3; lib/rtc/verification.ts) */
  trustOnFirstUse?: boolean;
  /** the peer's chat chain head, received over the DTLS-checked data channel */
  onChainHead?(head: ChainHeadMessage): void;
  /** the browser's by default; fakes in unit tests */
  newPeer?: PeerFactory;
  newCertificate?: CertificateFactory;
  clock?: Clock;
  /**
   * The first session's handshake, made ahead (while the patient waits to be admitted): its
   * ephemeral key, certificate and commitment depend on nothing the peer sends.
   */
  prepared?: Promise<Handshake>;
  /** where set-up steps are recorded (lib/rtc/call-timeline.ts) */
  marks?: CallMarks;
};
