// The chat's chain heads over the call's data channel (PROTOCOL §4): this device's head goes to
// the peer once the connection is bound to the verified hello (the DTLS check), on every change
// and at the end; the peer's head is trusted only after that check, and one that arrives earlier
// is held until it passes.
import type { ChainHeadMessage } from "./messages";

export type ChainHeadsOptions = {
  /** the connection is bound to the verified hello */
  checked(): boolean;
  send(msg: ChainHeadMessage): void;
  onPeerHead?(head: ChainHeadMessage): void;
};

export class ChainHeads {
  /** this device's chat chain head */
  private mine: ChainHeadMessage | undefined;
  /** the peer's, arrived before the DTLS check */
  private held: ChainHeadMessage | undefined;

  constructor(private readonly o: ChainHeadsOptions) {}

  /** This device's head changed: the peer hears it now (if checked) and at the end. */
  set(head: Omit<ChainHeadMessage, "type">): void {
    this.mine = { type: "chain-head", ...head };
    if (this.o.checked()) this.o.send(this.mine);
  }

  /** The peer's head. */
  peer(head: ChainHeadMessage): void {
    if (this.o.checked()) this.o.onPeerHead?.(head);
    else this.held = head;
  }

  /** The DTLS check passed: ours goes, the peer's held one is taken. */
  checkedNow(): void {
    if (this.mine) this.o.send(this.mine);
    const held = this.held;
    this.held = undefined;
    if (held) this.o.onPeerHead?.(held);
  }

  /** The call ends: the peer hears this device's head one last time. */
  final(): void {
    if (this.mine && this.o.checked()) this.o.send(this.mine);
  }

  /** A new handshake session: a head held for the old one is not taken. */
  reset(): void {
    this.held = undefined;
  }
}
