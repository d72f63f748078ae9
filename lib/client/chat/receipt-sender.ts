// Read receipts (PROTOCOL §4): for each sender, the highest seq up to which this device holds
// every message, "read" while the page is shown and "delivered" otherwise. Coalesced: a burst of
// messages is acknowledged by one receipt for its last seq.
import type { MessageReceipt } from "@/lib/shared/api";
import type { Clock, TimerHandle } from "../clock";
import type { ChatLog } from "./chat-log";

const RECEIPT_DELAY_MS = 150;

export type ReceiptPort = {
  clock: Clock;
  visible(): boolean;
  /** receipts are sent only while this person is in the consult */
  active(): boolean;
  send(receipt: MessageReceipt): Promise<unknown>;
};

export class ReceiptSender {
  private readonly sent = new Map<string, { delivered: number; read: number }>();
  private timer: TimerHandle;
  private pending = false;

  constructor(
    private readonly log: ChatLog,
    private readonly port: ReceiptPort,
  ) {}

  /** Something arrived or the page was shown: a receipt goes out shortly. */
  schedule(): void {
    if (this.pending) return;
    this.pending = true;
    this.timer = this.port.clock.setTimeout(() => {
      this.pending = false;
      this.sendNow();
    }, RECEIPT_DELAY_MS);
  }

  /** The other side (re)opened the room: it hears our receipts again. */
  resend(): void {
    this.sent.clear();
    this.schedule();
  }

  dispose(): void {
    this.port.clock.clearTimeout(this.timer);
  }

  private sendNow(): void {
    if (!this.port.active()) return;
    const visible = this.port.visible();
    for (const sender of this.log.senders()) {
      const upTo = this.log.contiguous(sender);
      if (upTo < 0) continue;
      const sent = this.sent.get(sender) ?? { delivered: -1, read: -1 };
      const state = visible && upTo > sent.read ? "read" : upTo > sent.delivered ? "delivered" : undefined;
      if (!state) continue;
      this.sent.set(sender, { delivered: Math.max(sent.delivered, upTo), read: state === "read" ? upTo : sent.read });
      void this.port.send({ senderDeviceId: sender, seq: upTo, state }).catch(() => {
        this.sent.set(sender, sent); // try again with the next change
      });
    }
  }
}
