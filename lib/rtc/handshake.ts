// One join's end-to-end handshake (PROTOCOL §2) in the browser: a fresh session id, ephemeral ECDH
// key and DTLS certificate; the signed hello and its commitment; the commit-then-reveal rules
// (lib/crypto/commit-reveal.ts); and, once the peer's reveal is accepted and verified, the
// transcript hash, pairwise key and call code. The cryptography is lib/crypto's; this file only
// turns it into signaling messages.
import {
  CommitReveal,
  LABEL,
  ProtocolError,
  bytesToUuid,
  callCode,
  checkSdpFingerprints,
  commitment,
  enc,
  encodeHello,
  equal,
  fromBase64Url,
  generateEphemeral,
  label,
  linkHelloContext,
  open,
  pairwiseKey,
  parseDtlsFingerprint,
  randomBytes,
  seal,
  signHello,
  toBase64Url,
  transcriptHash,
  utf8,
  uuidBytes,
  verifyHello,
  type AeadKey,
  type Bytes,
  type CallCode,
  type ConsultKey,
  type EphemeralKeyPair,
  unwrapConsultKey,
  wrapConsultKey,
} from "@/lib/crypto";
import type { CallMessage } from "./messages";

export type DeviceKeys = { privateKey: CryptoKey; spki: Uint8Array; deviceId: string };

/** Makes the session's DTLS certificate: the browser's, or a stand-in in unit tests. */
export type CertificateFactory = () => Promise<RTCCertificate>;

const CERTIFICATE: EcKeyGenParams = { name: "ECDSA", namedCurve: "P-256" };

export const browserCertificate: CertificateFactory = () => RTCPeerConnection.generateCertificate(CERTIFICATE);

export type VerifiedPeer = {
  sid: string;
  deviceId: string;
  /** the peer's identity public key (SPKI) from its verified hello */
  identity: Bytes;
  /** SHA-256 of the peer's DTLS certificate, from its verified hello */
  dtls: Bytes;
  th: Bytes;
  pairwise: AeadKey;
  code: CallCode;
};

type Commit = Extract<CallMessage, { type: "commit" }>;
type Reveal = Extract<CallMessage, { type: "reveal" }>;
type Confirm = Extract<CallMessage, { type: "confirm" }>;

const CONFIRMED = utf8("parley/v1 the codes match");

export class Handshake {
  private readonly rules: CommitReveal;
  private ephemeral: EphemeralKeyPair | undefined;
  private verifiedPeer: VerifiedPeer | undefined;

  private constructor(
    readonly sid: string,
    /** the DTLS certificate of the call's peer connection; none on a device link */
    private readonly mediaCertificate: RTCCertificate | undefined,
    private readonly keys: DeviceKeys,
    private readonly consultId: Bytes,
    ephemeral: EphemeralKeyPair,
    private readonly hello: Bytes,
    private readonly sig: Bytes,
    private readonly c: Bytes,
  ) {
    this.ephemeral = ephemeral;
    this.rules = new CommitReveal(fromBase64Url(sid));
  }

  static async create(keys: DeviceKeys, consultId: string, newCertificate: CertificateFactory = browserCertificate): Promise<Handshake> {
    const ephemeral = generateEphemeral();
    const certificate = await newCertificate();
    const fp = certificate.getFingerprints().find((f) => f.algorithm?.toLowerCase() === "sha-256");
    if (!fp?.value) throw new ProtocolError("the browser gave the DTLS certificate no SHA-256 fingerprint");
    return Handshake.build(keys, uuidBytes(consultId), parseDtlsFingerprint(fp.value), certificate, await ephemeral);
  }

  /**
   * The same handshake between two devices of one person on a device link (PROTOCOL §7.2): the
   * link's context in the consult id's place, so a link's hello is never a consult's, and no media
   * (a DTLS fingerprint of 32 zero bytes, no certificate).
   */
  static async forLink(keys: DeviceKeys, linkId: string): Promise<Handshake> {
    return Handshake.build(keys, await linkHelloContext(linkId), new Uint8Array(32), undefined, await generateEphemeral());
  }

  private static async build(keys: DeviceKeys, context: Bytes, dtls: Bytes, certificate: RTCCertificate | undefined, ephemeral: EphemeralKeyPair): Promise<Handshake> {
    const sidBytes = randomBytes(16);
    const hello = encodeHello({ consultId: context, deviceId: uuidBytes(keys.deviceId), sid: sidBytes, identity: new Uint8Array(keys.spki), ephemeral: ephemeral.publicRaw, dtls });
    const sig = await signHello(keys.privateKey, hello);
    return new Handshake(toBase64Url(sidBytes), certificate, keys, context, ephemeral, hello, sig, await commitment(hello));
  }

  /** The DTLS certificate the call's peer connection must use (its fingerprint is in our hello). */
  get certificate(): RTCCertificate {
    if (!this.mediaCertificate) throw new ProtocolError("a device link's handshake carries no media");
    return this.mediaCertificate;
  }

  get peer(): VerifiedPeer | undefined {
    return this.verifiedPeer;
  }

  /** Both hellos are out and the peer's is verified: the call code is final. */
  get complete(): boolean {
    return this.verifiedPeer !== undefined && this.rules.revealedTo !== undefined;
  }

  commitMessage(reply: boolean): CallMessage {
    return { type: "commit", sid: this.sid, deviceId: this.keys.deviceId, c: toBase64Url(this.c), reply };
  }

  /** Our commit is on the log; returns our reveal if the rules allow it now. */
  commitPosted(): CallMessage | undefined {
    this.rules.commitPosted();
    return this.nextReveal();
  }

  /** A peer session's commit: recorded, a duplicate, or a reason to restart with a new session. */
  onCommit(msg: Commit): { outcome: "recorded" | "duplicate" | "restart"; reveal?: CallMessage } {
    const outcome = this.rules.peerCommit(fromBase64Url(msg.sid), fromBase64Url(msg.c));
    return outcome === "recorded" ? { outcome, reveal: this.nextReveal() } : { outcome };
  }

  private nextReveal(): CallMessage | undefined {
    const to = this.rules.revealTarget();
    if (!to) return undefined;
    return { type: "reveal", sid: this.sid, to: toBase64Url(to), hello: toBase64Url(this.hello), sig: toBase64Url(this.sig) };
  }

  /** A peer's reveal: every rule and the signature checked, then the session keys. Throws ProtocolError. */
  async onReveal(msg: Reveal): Promise<VerifiedPeer> {
    const hello = fromBase64Url(msg.hello);
    this.rules.acceptReveal(fromBase64Url(msg.sid), fromBase64Url(msg.to), await commitment(hello));
    const h = await verifyHello(hello, fromBase64Url(msg.sig));
    if (!equal(h.sid, fromBase64Url(msg.sid))) throw new ProtocolError("the hello belongs to another session");
    if (!equal(h.consultId, this.consultId)) throw new ProtocolError("the hello is for another consult");
    if (equal(h.identity, this.keys.spki)) throw new ProtocolError("the peer presents this device's own identity");
    if (!this.ephemeral) throw new ProtocolError("this session's keys were wiped");
    const th = await transcriptHash(this.hello, hello);
    const peer: VerifiedPeer = {
      sid: msg.sid,
      deviceId: bytesToUuid(h.deviceId),
      identity: h.identity,
      dtls: h.dtls,
      th,
      pairwise: await pairwiseKey(this.ephemeral.privateKey, h.ephemeral, th),
      code: await callCode(th),
    };
    this.ephemeral = undefined; // one key agreement per session
    this.verifiedPeer = peer;
    return peer;
  }

  /** Before every peer.signal() of an SDP: its certificate must be the one in the verified hello. */
  checkSdp(sdp: string): void {
    if (!this.verifiedPeer) throw new ProtocolError("SDP before the peer's hello was verified");
    checkSdpFingerprints(sdp, this.verifiedPeer.dtls);
  }

  private confirmAad(deviceId: string): Bytes {
    if (!this.verifiedPeer) throw new ProtocolError("no verified peer");
    return enc(label(LABEL.confirm), this.verifiedPeer.th, uuidBytes(deviceId));
  }

  async confirmMessage(): Promise<CallMessage> {
    const peer = this.verifiedPeer;
    if (!peer) throw new ProtocolError("no verified peer");
    const { iv, ciphertext } = await seal(peer.pairwise, CONFIRMED, this.confirmAad(this.keys.deviceId));
    return { type: "confirm", sid: this.sid, to: peer.sid, iv: toBase64Url(iv), ct: toBase64Url(ciphertext) };
  }

  /** True only for a confirmation sealed by the verified peer for this transcript. */
  async checkConfirm(msg: Confirm): Promise<boolean> {
    const peer = this.verifiedPeer;
    if (!peer || msg.sid !== peer.sid || msg.to !== this.sid) return false;
    try {
      const plain = await open(peer.pairwise, fromBase64Url(msg.iv), fromBase64Url(msg.ct), this.confirmAad(peer.deviceId));
      return equal(plain, CONFIRMED);
    } catch {
      return false;
    }
  }

  private keyContext(sender: string, recipient: string) {
    const peer = this.verifiedPeer;
    if (!peer) throw new ProtocolError("no verified peer");
    return { th: peer.th, consultId: this.consultId, senderDeviceId: uuidBytes(sender), recipientDeviceId: uuidBytes(recipient) };
  }

  /** The consult key for the verified peer, from this (the owner's) device. */
  async keyMessage(k: ConsultKey): Promise<CallMessage> {
    const peer = this.verifiedPeer;
    if (!peer) throw new ProtocolError("the consult key goes only to a verified device");
    const { iv, ciphertext } = await wrapConsultKey(peer.pairwise, k, this.keyContext(this.keys.deviceId, peer.deviceId));
    return { type: "key", sid: this.sid, to: peer.sid, iv: toBase64Url(iv), ct: toBase64Url(ciphertext) };
  }

  /** A consult key from the verified peer, for this device; refused otherwise. */
  async openKeyMessage(msg: Extract<CallMessage, { type: "key" }>): Promise<ConsultKey> {
    const peer = this.verifiedPeer;
    if (!peer || msg.sid !== peer.sid || msg.to !== this.sid) throw new ProtocolError("a consult key from a device that is not the verified peer");
    return unwrapConsultKey(peer.pairwise, fromBase64Url(msg.iv), fromBase64Url(msg.ct), this.keyContext(peer.deviceId, this.keys.deviceId));
  }

  /** Forgets the session's keys (after a mismatch, hang-up or a new session). */
  wipe(): void {
    this.ephemeral = undefined;
    this.verifiedPeer = undefined;
  }
}
