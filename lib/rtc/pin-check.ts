// The verified peer's identity checked against this device's pins (IndexedDB) beside the call's
// queue (lib/rtc/call.ts), so the peer's SDP goes on meanwhile. Steps that depend on the pin wait
// for it (`done`). The responder's own SDP made meanwhile is held and posted after what the check
// posts (a pair compared before confirms at once), so the peer reads them in the order it did when
// pinning came first: a confirmation that does not open still fails the call before it connects.
import type { CallMessage } from "./messages";

export class PinCheck {
  private pinning: Promise<void> = Promise.resolve();
  /** this side's SDP held until the check is done; undefined when nothing is held */
  private held: CallMessage[] | undefined;

  /** Resolves once the check in progress (if any) is done; never rejects. */
  done(): Promise<void> {
    return this.pinning;
  }

  /** Starts a check; `holdSdp`: this side's SDP waits for it, then goes out through `post`. */
  start(check: Promise<void>, holdSdp: boolean, onError: (err: unknown) => void, post: (msgs: CallMessage[]) => void): void {
    const held: CallMessage[] | undefined = holdSdp ? [] : undefined;
    this.held = held;
    this.pinning = check.catch(onError).finally(() => {
      if (this.held !== held) return; // a new session began: its predecessor's SDP is not posted
      this.held = undefined;
      if (held) post(held);
    });
  }

  /** True when `msg` is held for later (this side's SDP during a check). */
  hold(msg: CallMessage): boolean {
    if (!this.held || msg.type !== "rtc") return false;
    this.held.push(msg);
    return true;
  }

  /** A new session: whatever is held belonged to the old one. */
  reset(): void {
    this.held = undefined;
  }
}
