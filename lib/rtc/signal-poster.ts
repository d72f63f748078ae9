// A call session's outgoing signals (lib/rtc/call.ts), in order: one request at a time, each with
// everything posted while the one before was on its way (the server stores a request's signals in
// their order), so the peer reads them in the order they were sent (a reveal never overtakes its
// commit) with one round trip per burst, not one per message (a commit, its reveal and the offer
// at a call's start).
import { MAX_SIGNAL_BATCH } from "@/lib/shared/api";
import type { CallMessage } from "./messages";

export class SignalPoster {
  /** messages waiting for the request in flight to finish; they go together in the next */
  private unsent: CallMessage[] = [];
  private posting = false;
  /** the requests under way (settled when everything posted so far went out) */
  sending: Promise<void> = Promise.resolve();

  constructor(private readonly send: (msgs: CallMessage[]) => Promise<void>) {}

  post(msg: CallMessage): void {
    this.unsent.push(msg);
    if (this.posting) return;
    this.posting = true;
    // After this task: what it posts too (a commit and its reveal) goes in the same request.
    this.sending = Promise.resolve().then(() => this.postUnsent());
  }

  private async postUnsent(): Promise<void> {
    while (this.unsent.length > 0) {
      const batch = this.unsent.splice(0, MAX_SIGNAL_BATCH);
      try {
        await this.send(batch);
      } catch {
        // A lost signal shows up as the connect timeout, which offers a retry.
      }
    }
    this.posting = false;
  }
}
