// Linking a second device (PROTOCOL §7.2), framework-free: the two devices of one person run the
// call's handshake (lib/rtc/handshake.ts: commit, reveal, call code, confirm) over the link's
// channel, and once both people confirmed the code, the device that holds the keys (the holder)
// sends the new one (the joiner) its grant under the pairwise key. What each side then does with
// the verified peer (pin its box key, seal keys to it, open the copies) is the app's, through ports.
//
// A server in the middle gets a different transcript on each side; commit-then-reveal fixes its
// hellos before it sees a code, so the two codes differ and the people say so.
import { equal, ProtocolError, sealLinkGrant, openLinkGrant, sha256, fromBase64Url, toBase64Url, type LinkGrant } from "@/lib/crypto";
import { Handshake, type DeviceKeys, type VerifiedPeer } from "@/lib/rtc/handshake";
import type { CallMessage } from "@/lib/rtc/messages";
import { linkMessage, type LinkMessage, type LinkState } from "@/lib/shared/devices";

export type LinkRole = "holder" | "joiner";

export type LinkPhase =
  /** holder: the code is shown, no device joined yet */
  | "waiting"
  /** the handshake is running */
  | "connecting"
  /** both hellos are verified: the people compare the code */
  | "compare"
  /** this side confirmed; the other has not yet */
  | "confirmed"
  /** both confirmed: the grant and the keys are on their way */
  | "sending-keys"
  | "linked"
  | "failed";

export type LinkView = { phase: LinkPhase; code?: string; error?: string; peer?: { deviceId: string; identity: Uint8Array } };

export type LinkRead = { state: LinkState; fromDeviceId: string; toDeviceId: string | null; messages: { seq: number; message: unknown }[] };

export type LinkPorts = {
  /** posts a message on the link (in order: each after the previous reached the server) */
  post(msg: LinkMessage): Promise<void>;
  /** the link's state and the other device's messages after `after` */
  read(after: number): Promise<LinkRead>;
  finish(outcome: "linked" | "mismatch" | "cancelled"): Promise<void>;
  sleep(ms: number): Promise<void>;
  /** holder, both confirmed: pin the joiner (its identity verified here) and say what the grant carries */
  verifiedJoiner?(peer: VerifiedPeer): Promise<LinkGrant>;
  /** holder, grant sent: seal the held keys to the joiner */
  sendKeys?(peer: VerifiedPeer): Promise<void>;
  /** joiner: the holder's grant, opened; pin the holder and what it vouches for */
  granted?(peer: VerifiedPeer, grant: LinkGrant): Promise<void>;
  /** joiner: the holder says it is done: open the copies sealed to this device */
  receiveKeys?(): Promise<void>;
};

export type LinkSessionOptions = {
  role: LinkRole;
  linkId: string;
  keys: DeviceKeys;
  /** joiner: the first 16 bytes of SHA-256 of the holder's identity SPKI, from a scanned QR code */
  anchor?: Uint8Array;
  ports: LinkPorts;
  onChange(view: LinkView): void;
  pollMs?: number;
};

const parseLinkMessage = (m: unknown): LinkMessage | undefined => {
  const r = linkMessage.safeParse(m);
  return r.success ? r.data : undefined;
};

/** A handshake message as it goes on a link (only commit, reveal and confirm ever do). */
function onLink(m: CallMessage): LinkMessage {
  if (m.type === "commit" || m.type === "reveal" || m.type === "confirm") return m;
  throw new ProtocolError(`a ${m.type} message has no place on a device link`);
}

export class LinkSession {
  private view: LinkView = { phase: "connecting" };
  private hs: Handshake | undefined;
  private cursor = 0;
  private confirmedByMe = false;
  private confirmedByPeer = false;
  private heldGrant: Extract<LinkMessage, { type: "grant" }> | undefined;
  private granted = false;
  private stopped = false;
  private peerDeviceId: string | undefined;
  private outbox: Promise<void> = Promise.resolve();

  constructor(private readonly o: LinkSessionOptions) {
    if (o.role === "holder") this.view = { phase: "waiting" };
  }

  get state(): LinkView {
    return this.view;
  }

  private set(patch: Partial<LinkView>): void {
    this.view = { ...this.view, ...patch };
    this.o.onChange(this.view);
  }

  private fail(error: string): void {
    if (this.view.phase === "failed" || this.view.phase === "linked") return;
    this.hs?.wipe();
    this.stopped = true;
    this.set({ phase: "failed", error, code: undefined });
  }

  /** Posts in order; a failed post fails the link. */
  private post(m: LinkMessage | CallMessage): Promise<void> {
    const msg = m.type === "grant" ? m : onLink(m);
    this.outbox = this.outbox.then(() => this.o.ports.post(msg));
    return this.outbox;
  }

  /** Runs the link until it is linked, fails or is stopped. */
  async run(): Promise<void> {
    const poll = this.o.pollMs ?? 400;
    try {
      while (!this.stopped) {
        const r = await this.o.ports.read(this.cursor);
        await this.onRead(r);
        if (this.stopped) break;
        await this.o.ports.sleep(poll);
      }
    } catch (err) {
      this.fail(err instanceof ProtocolError ? `The other device's answer did not check out (${err.message}). Start again.` : "The link was interrupted. Check your connection and start again.");
    }
  }

  /** Stops polling (the page closed, or the person cancelled: then the server is told). */
  async cancel(tellServer = true): Promise<void> {
    const live = !this.stopped && this.view.phase !== "linked";
    this.stopped = true;
    this.hs?.wipe();
    if (live && tellServer) await this.o.ports.finish("cancelled").catch(() => undefined);
  }

  /** The person says the codes on both screens are the same. */
  async confirm(): Promise<void> {
    const hs = this.hs;
    if (!hs?.complete || this.confirmedByMe) return;
    this.confirmedByMe = true;
    this.set({ phase: "confirmed" });
    await this.post(await hs.confirmMessage());
    await this.maybeVerified();
  }

  /** The person says the codes differ: the link ends, nothing is sent, the server records it. */
  async mismatch(): Promise<void> {
    this.fail("The codes differed, so nothing was shared. Someone may be interfering: start again, and tell your clinic if it happens twice.");
    await this.o.ports.finish("mismatch").catch(() => undefined);
  }

  private async onRead(r: LinkRead): Promise<void> {
    if (r.state === "cancelled" || r.state === "failed") {
      return this.fail(r.state === "failed" ? "The other device said the codes differed. Nothing was shared." : "The link ended or expired. Start again with Add a device.");
    }
    const other = this.o.role === "holder" ? r.toDeviceId : r.fromDeviceId;
    if (!other) return; // holder: still waiting
    if (this.peerDeviceId && this.peerDeviceId !== other) throw new ProtocolError("the link's other device changed");
    this.peerDeviceId = other;
    if (!this.hs) {
      this.hs = await Handshake.forLink(this.o.keys, this.o.linkId);
      this.set({ phase: "connecting" });
      await this.post(this.hs.commitMessage(false));
      const reveal = this.hs.commitPosted();
      if (reveal) await this.post(reveal);
    }
    for (const { seq, message } of r.messages) {
      this.cursor = Math.max(this.cursor, seq);
      const msg = parseLinkMessage(message);
      if (msg) await this.onMessage(msg);
      if (this.stopped) return;
    }
    if (r.state === "linked" && this.o.role === "joiner" && this.granted) {
      this.stopped = true;
      await this.o.ports.receiveKeys?.();
      this.set({ phase: "linked" });
    }
  }

  private async onMessage(msg: LinkMessage): Promise<void> {
    const hs = this.hs;
    if (!hs) return;
    switch (msg.type) {
      case "commit": {
        const { outcome, reveal } = hs.onCommit(msg);
        if (outcome === "restart") throw new ProtocolError("a second session appeared on the link");
        if (reveal) await this.post(reveal);
        return;
      }
      case "reveal": {
        if (msg.to !== hs.sid) return;
        const peer = await hs.onReveal(msg);
        if (peer.deviceId !== this.peerDeviceId) throw new ProtocolError("the hello is from another device than the link's");
        if (this.o.anchor && !equal((await sha256(peer.identity)).subarray(0, this.o.anchor.length), this.o.anchor)) {
          return this.fail("This is not the device whose QR code you scanned. Nothing was shared. Start again, and tell your clinic if it happens twice.");
        }
        this.set({ peer: { deviceId: peer.deviceId, identity: peer.identity } });
        return this.showCode();
      }
      case "confirm": {
        if (!(await hs.checkConfirm(msg))) throw new ProtocolError("a confirmation that does not verify");
        this.confirmedByPeer = true;
        return this.maybeVerified();
      }
      case "grant":
        if (this.o.role !== "joiner") return;
        this.heldGrant = msg;
        return this.maybeVerified();
    }
  }

  private showCode(): void {
    const hs = this.hs;
    if (hs?.complete && hs.peer && this.view.phase === "connecting") this.set({ phase: "compare", code: hs.peer.code.text });
  }

  private async maybeVerified(): Promise<void> {
    const hs = this.hs;
    const peer = hs?.peer;
    if (!peer || !this.confirmedByMe || !this.confirmedByPeer || this.stopped) return;
    if (this.o.role === "holder") {
      if (this.view.phase === "sending-keys") return;
      this.set({ phase: "sending-keys" });
      const grant = (await this.o.ports.verifiedJoiner?.(peer)) ?? {};
      const { iv, ciphertext } = await sealLinkGrant(peer.pairwise, { linkId: this.o.linkId, fromDeviceId: this.o.keys.deviceId, toDeviceId: peer.deviceId }, grant);
      await this.post({ type: "grant", sid: hs.sid, to: peer.sid, iv: toBase64Url(iv), ct: toBase64Url(ciphertext) });
      await this.o.ports.sendKeys?.(peer);
      await this.o.ports.finish("linked");
      this.stopped = true;
      hs.wipe();
      this.set({ phase: "linked", code: undefined });
      return;
    }
    const g = this.heldGrant;
    if (!g || this.granted) {
      if (this.view.phase === "confirmed") this.set({ phase: "sending-keys" });
      return;
    }
    if (g.sid !== peer.sid || g.to !== hs.sid) throw new ProtocolError("a grant from another session");
    const grant = await openLinkGrant(peer.pairwise, { linkId: this.o.linkId, fromDeviceId: peer.deviceId, toDeviceId: this.o.keys.deviceId }, fromBase64Url(g.iv), fromBase64Url(g.ct));
    this.granted = true;
    await this.o.ports.granted?.(peer, grant);
    this.set({ phase: "sending-keys" });
  }
}
