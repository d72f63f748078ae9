// The verification half of a call (PROTOCOL §2–§4): one handshake session at a time (commit, then
// reveal, then the verified hello), the call code and the people's confirmations, the pinned
// identity of the other person, the DTLS binding, the consult key, and the chat chain heads that
// travel over the checked data channel. It never touches the peer connection: lib/rtc/call.ts
// hands it what the connection reports and does what it decides. Framework-free.
//
// Sessions: every page load and every retry is a new handshake session (new session id, ephemeral
// key and DTLS certificate). A ready side posts its commit; a side that sees a commit of a session
// it does not know answers with its own commit and, when the rules allow, reveals its signed hello
// to it. The call code is shown when both hellos are out; "verified" needs both people's
// confirmation (or a pair verified before) and the connection's remote certificate checked in
// getStats().
import { ProtocolError, equal, parseDtlsFingerprint } from "@/lib/crypto";
import type { CallMessage, ChainHeadMessage } from "./messages";
import { ChainHeads } from "./chain-heads";
import { KeyExchange } from "./key-exchange";
import { Handshake, type CertificateFactory, type DeviceKeys, type VerifiedPeer } from "./handshake";
import type { CallMarks } from "./call-timeline";
import { INITIAL_E2EE, type ConsultKeys, type E2ee, type Trust } from "./call-state";
import type { E2eeReport } from "@/lib/shared/api";

type Commit = Extract<CallMessage, { type: "commit" }>;
type KeyMessage = Extract<CallMessage, { type: "key" }>;
type RtcMessage = Extract<CallMessage, { type: "rtc" }>;

export type VerificationOptions = {
  consultId: string;
  keys: DeviceKeys;
  trust: Trust;
  consultKeys?: ConsultKeys;
  /**
   * The clinic allows trust on first use (PROTOCOL §3): the consult key goes to a device whose
   * signed hello and DTLS binding checked out, before the people compared the call code.
   */
  trustOnFirstUse?: boolean;
  newCertificate?: CertificateFactory;
  /** the first session's handshake, made ahead */
  prepared?: Promise<Handshake>;
  marks: CallMarks;
  /** posts a message to the other participant, in order */
  post(msg: CallMessage): void;
  /** sends over the data channel, when it is open */
  sendChannel(msg: ChainHeadMessage): void;
  onChange(e2ee: E2ee): void;
  /** tells the server's audit trail what happened (the codes differed, were confirmed, a key change accepted, the key sent on trust) */
  onReport?(report: E2eeReport): void;
  /** the peer's chat chain head, received over the DTLS-checked data channel */
  onChainHead?(head: ChainHeadMessage): void;
};

/** What a peer's commit means for the call. */
export type CommitOutcome = "ignored" | "restart" | "recorded";

export class Verification {
  private hs: Handshake | undefined;
  private e: E2ee = INITIAL_E2EE;
  /** a consult key that arrived before this side counted the call as verified */
  private readonly keyExchange: KeyExchange;
  private tofuKeyDone = false;
  /** the peer's key may be trusted on first use: pinned new or the same, never an acknowledged change not yet compared */
  private tofuAllowed = false;
  private readonly heads: ChainHeads;
  /** SDP that arrived before the peer's hello was verified */
  private held: RtcMessage[] = [];
  private prepared: Promise<Handshake> | undefined;
  /** handshakes this call started over on a new peer session (E2ee.restarts) */
  private restarts = 0;

  constructor(private readonly opts: VerificationOptions) {
    this.prepared = opts.prepared;
    this.heads = new ChainHeads({ checked: () => this.e.dtlsChecked, send: (m) => opts.sendChannel(m), onPeerHead: (h) => opts.onChainHead?.(h) });
    this.keyExchange = new KeyExchange({
      keys: opts.consultKeys,
      session: () => this.hs,
      e2ee: () => this.e,
      set: (patch) => this.set(patch),
      post: (msg) => opts.post(msg),
      trusted: () => this.trustedOnFirstUse(),
    });
  }

  get state(): E2ee {
    return this.e;
  }

  /** The current handshake session (its id, certificate and, once verified, the peer). */
  get session(): Handshake | undefined {
    return this.hs;
  }

  get peer(): VerifiedPeer | undefined {
    return this.hs?.peer;
  }

  /**
   * A new session: new id, ephemeral key and certificate; `seed` is a peer commit that prompted
   * it. After a drop the verified state is earned again, never carried over (PROTOCOL §2).
   */
  async begin(seed: Commit | undefined): Promise<void> {
    this.hs?.wipe();
    this.keyExchange.reset();
    this.heads.reset();
    this.held = [];
    this.tofuKeyDone = false;
    this.tofuAllowed = false;
    const prepared = this.prepared;
    this.prepared = undefined; // a session's keys serve one session only
    const hs = (await prepared?.catch(() => undefined)) ?? (await Handshake.create(this.opts.keys, this.opts.consultId, this.opts.newCertificate));
    this.hs = hs;
    this.e = { ...INITIAL_E2EE, restarts: this.restarts };
    if (seed) hs.onCommit(seed);
    // Our commit answers the seed: the peer records it without answering with its own again.
    this.opts.post(hs.commitMessage(seed !== undefined));
    this.opts.marks("commit");
    this.reveal(hs.commitPosted());
  }

  /** A peer session's commit: answered (our commit and, when the rules allow, our reveal). */
  onCommit(msg: Commit): CommitOutcome {
    const hs = this.hs;
    if (!hs || msg.sid === hs.sid) return "ignored";
    const { outcome, reveal } = hs.onCommit(msg);
    if (outcome === "restart") this.restarts++;
    if (outcome !== "recorded") return outcome === "restart" ? "restart" : "ignored";
    if (!msg.reply) this.opts.post(hs.commitMessage(true));
    this.reveal(reveal);
    return "recorded";
  }

  /**
   * A reveal to this session: checked (throws ProtocolError). The SDP gate opens now; the peer's
   * identity is pinned next (pinPeer), while the connection is being set up.
   */
  async onReveal(msg: Extract<CallMessage, { type: "reveal" }>): Promise<VerifiedPeer | undefined> {
    const hs = this.hs;
    if (!hs || msg.to !== hs.sid) return undefined;
    const peer = await hs.onReveal(msg);
    this.opts.marks("hello-verified");
    return peer;
  }

  /** The verified peer against this device's pins: new, the same (compared before or not), or changed. */
  async pinPeer(peer: VerifiedPeer): Promise<void> {
    const hs = this.hs;
    if (!hs || hs.peer !== peer) return;
    const pin = await this.opts.trust.pin(peer.identity);
    const remembered = pin === "same" && (await this.opts.trust.isVerified(peer.identity));
    this.tofuAllowed = pin !== "changed" && (await this.opts.trust.mayTrustOnFirstUse(peer.identity));
    this.set({ status: pin === "changed" ? "key-changed" : "unverified", code: hs.complete ? peer.code.text : undefined, peerIdentity: peer.identity });
    // A pair compared before needs no new comparison: confirm on the person's behalf.
    if (remembered) {
      this.set({ confirmedByMe: true });
      this.opts.post(await hs.confirmMessage());
    }
  }

  /** The peer's "the codes match"; one that does not verify is an attack or a bug (throws). */
  async onConfirm(msg: Extract<CallMessage, { type: "confirm" }>): Promise<void> {
    const hs = this.hs;
    if (!hs || msg.to !== hs.sid) return;
    if (!(await hs.checkConfirm(msg))) throw new ProtocolError("a confirmation that does not verify");
    this.set({ confirmedByPeer: true });
    await this.maybeVerified();
  }

  /** The consult key from the peer (key-exchange.ts). */
  onKey(msg: KeyMessage): Promise<void> {
    return this.keyExchange.onKey(msg);
  }

  /**
   * Whether an `rtc` message may reach the peer connection now (PROTOCOL §2.4): "pass" (from the
   * verified peer, any SDP's certificate the one in its hello), "held" (from `remoteSid` before its
   * hello is verified: takeHeld() hands it back), "drop" (another or an older session's), or
   * "certificate" (an SDP whose certificate is not the verified hello's: abort).
   */
  gate(msg: RtcMessage, remoteSid: string | undefined): "pass" | "held" | "drop" | "certificate" {
    const hs = this.hs;
    if (!hs || msg.to !== hs.sid) return "drop";
    const peer = hs.peer;
    if (!peer) {
      if (msg.sid !== remoteSid) return "drop";
      this.held.push(msg);
      return "held";
    }
    if (msg.sid !== peer.sid) return "drop";
    if (msg.data.sdp === undefined) return "pass";
    try {
      hs.checkSdp(msg.data.sdp);
      return "pass";
    } catch {
      return "certificate";
    }
  }

  /** The SDP held before the hello, in arrival order (once the hello is verified). */
  takeHeld(): RtcMessage[] {
    const held = this.held;
    this.held = [];
    return held;
  }

  /** Another peer session: what its predecessor sent early is not for this one. */
  dropHeld(): void {
    this.held = [];
  }

  /**
   * The connection's remote certificate (from getStats; undefined where the browser does not
   * expose it, and the SDP check stands alone). False when it is not the verified hello's.
   */
  async onDtls(remoteFingerprint: string | undefined): Promise<boolean> {
    const expected = this.hs?.peer?.dtls;
    if (!expected || remoteFingerprint === undefined) return true;
    if (!equal(parseDtlsFingerprint(remoteFingerprint), expected)) return false;
    this.set({ dtlsChecked: true });
    this.opts.marks("dtls-checked");
    this.heads.checkedNow();
    await this.maybeVerified();
    return true;
  }

  /** The person confirmed that both screens show the same call code. */
  async confirm(): Promise<void> {
    const hs = this.hs;
    // Only an unverified call is confirmed: a changed key is acknowledged first, then compared.
    if (!hs?.complete || this.e.confirmedByMe || this.e.status !== "unverified") return;
    this.set({ confirmedByMe: true });
    this.opts.post(await hs.confirmMessage());
    await this.maybeVerified();
  }

  /** The person says the codes differ: the keys are wiped, the peer and the audit log told. */
  mismatch(): void {
    const hs = this.hs;
    hs?.wipe();
    if (hs) this.opts.post({ type: "bye", sid: hs.sid });
    this.opts.onReport?.("mismatch");
    this.set({ status: "mismatch" });
    this.keyExchange.rotateAfterMismatch();
  }

  /** The person acknowledged that a known counterpart's key changed; unverified until compared. */
  async acknowledgeKeyChange(): Promise<void> {
    const id = this.e.peerIdentity;
    if (this.e.status !== "key-changed" || !id) return;
    await this.opts.trust.acceptChange(id);
    this.set({ status: "unverified" });
    this.opts.onReport?.("key_change_acknowledged");
  }

  /** This device's chat chain head changed (chain-heads.ts). */
  setChainHead(head: Omit<ChainHeadMessage, "type">): void {
    this.heads.set(head);
  }

  peerChainHead(head: ChainHeadMessage): void {
    this.heads.peer(head);
  }

  sendFinalHead(): void {
    this.heads.final();
  }

  /** The other person is gone: nothing about them is shown any more (the session stays). */
  forgetPeer(): void {
    this.set(INITIAL_E2EE, true);
  }

  /** Forgets the session's keys (failure, hang-up). */
  wipe(): void {
    this.hs?.wipe();
  }

  private reveal(msg: CallMessage | undefined): void {
    if (!msg) return;
    this.opts.post(msg);
    this.opts.marks("reveal");
  }

  /** Verified: both confirmations, and the connection's remote certificate is the verified one. */
  private async maybeVerified(): Promise<void> {
    const e = this.e;
    if (this.trustedOnFirstUse() && !this.tofuKeyDone) {
      this.tofuKeyDone = true;
      await this.keyExchange.exchange(true);
      if (this.opts.consultKeys?.role === "owner") this.opts.onReport?.("keys_sent_on_trust");
    }
    if (e.status !== "unverified" || !e.confirmedByMe || !e.confirmedByPeer || !e.dtlsChecked) return;
    this.set({ status: "verified" });
    this.opts.onReport?.("verified");
    if (e.peerIdentity) await this.opts.trust.rememberVerified(e.peerIdentity);
    await this.keyExchange.exchange(false);
  }

  /**
   * Trust on first use, where the clinic allows it: the peer's signed hello is pinned (new or the
   * same key, never a changed one) and the connection is bound to it, but the people have not
   * compared the code. The room says "not verified" throughout.
   */
  private trustedOnFirstUse(): boolean {
    const e = this.e;
    return !!this.opts.trustOnFirstUse && this.tofuAllowed && e.status === "unverified" && e.dtlsChecked && !!e.peerIdentity;
  }

  private set(patch: Partial<E2ee>, replace = false): void {
    const e2ee = replace ? { ...INITIAL_E2EE, restarts: this.restarts, ...patch } : { ...this.e, ...patch };
    // The code is shown only once final (both hellos out and the peer's verified).
    if (!replace && this.hs?.complete && this.hs.peer && e2ee.code === undefined) e2ee.code = this.hs.peer.code.text;
    this.e = e2ee;
    this.opts.onChange(e2ee);
  }
}
