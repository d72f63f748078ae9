// The consult key in a call (PROTOCOL §3, docs/protocol.md "Epochs"): the owner device (the
// doctor's) sends it to a device verified now, or trusted on first use, under the session's
// pairwise key; a recipient takes one only once its own side counts the call as verified (or
// trusted), holding an early one until then. Which epoch goes is the store's rule
// (lib/client/key-handover.ts); what a recipient takes before comparing codes is provisional.
import type { CallMessage } from "./messages";
import type { Handshake } from "./handshake";
import type { ConsultKeys, E2ee } from "./call-state";

type KeyMessage = Extract<CallMessage, { type: "key" }>;

export type KeyExchangeHost = {
  keys: ConsultKeys | undefined;
  session(): Handshake | undefined;
  e2ee(): E2ee;
  set(patch: Partial<E2ee>): void;
  post(msg: CallMessage): void;
  /** this side may act on trust on first use now */
  trusted(): boolean;
};

export class KeyExchange {
  /** a key that arrived before this side's verdict */
  private held: KeyMessage | undefined;

  constructor(private readonly host: KeyExchangeHost) {}

  /** A new handshake session: a key held for the old one is not taken. */
  reset(): void {
    this.held = undefined;
  }

  /** The consult key from the peer: taken only once this side counts the call as verified. */
  async onKey(msg: KeyMessage): Promise<void> {
    const h = this.host;
    if (h.keys?.role !== "recipient" || msg.to !== h.session()?.sid) return;
    if (h.e2ee().status !== "verified" && !h.trusted()) {
      this.held = msg; // only a verified device takes a key: wait for our own verdict
      return;
    }
    await this.receive(msg);
  }

  /**
   * The owner sends K to the peer's session (`onTrust`: the codes were not compared, so the epoch
   * is provisional); a recipient takes a K it held back.
   */
  async exchange(onTrust: boolean): Promise<void> {
    const h = this.host;
    const keys = h.keys;
    const hs = h.session();
    const peer = hs?.peer;
    if (keys?.role === "owner" && hs && peer) {
      // An epoch another identity holds, or one given on trust when this device is now verified,
      // is replaced first (key-handover.ts).
      const k = await keys.forPeer(peer.identity, onTrust);
      h.post(await hs.keyMessage(k));
      h.set({ consultKeyEpoch: k.epoch, consultKeyProvisional: k.provisional });
    } else if (this.held) {
      const held = this.held;
      this.held = undefined;
      await this.receive(held);
    }
  }

  /**
   * "The codes differ": whoever was on the other end may hold the current epoch (sent on trust).
   * The owner's device writes under a new one from now on, handed only to a device verified later.
   */
  rotateAfterMismatch(): void {
    const keys = this.host.keys;
    if (keys?.role !== "owner") return;
    void keys
      .rotate()
      .then((k) => this.host.set({ consultKeyEpoch: k.epoch, consultKeyProvisional: false }))
      .catch(() => undefined);
  }

  private async receive(msg: KeyMessage): Promise<void> {
    const keys = this.host.keys;
    const hs = this.host.session();
    if (keys?.role !== "recipient" || !hs) return;
    const k = await hs.openKeyMessage(msg);
    // Taken before this side compared the codes: what is written under it is not verified.
    const provisional = this.host.e2ee().status !== "verified";
    await keys.receive(k, provisional);
    this.host.set({ consultKeyEpoch: k.epoch, consultKeyProvisional: provisional });
  }
}
