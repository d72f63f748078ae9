// Presence and typing in the chat: this person's "typing…" (sent at most every 3 s while typing,
// withdrawn after 4 s idle or by the message itself) and the other person's presence and typing
// as the stream reports them ("typing…" shown for at most 6 s without news).
import type { PresenceUpdate, StreamEvent } from "@/lib/shared/api";
import type { Clock, TimerHandle } from "../clock";
import { z } from "zod";

const TYPING_EVERY_MS = 3_000;
const TYPING_IDLE_MS = 4_000;
const TYPING_SHOWN_MS = 6_000;

export type PeerPresence = "online" | "away" | "offline";
export type PeerState = { peerTyping: boolean; peerPresence?: PeerPresence };

export type PresencePort = {
  clock: Clock;
  send(update: PresenceUpdate): void;
  /** the other person's presence or typing changed */
  changed(peer: PeerState): void;
  /** the other side (re)opened the room: it hears our receipts again */
  peerReopened(): void;
};

export class TypingPresence {
  private lastTyping = 0;
  private idleTimer: TimerHandle;
  private shownTimer: TimerHandle;
  private peer: PeerState = { peerTyping: false };

  constructor(private readonly port: PresencePort) {}

  /** The person typed a key. */
  typed(): void {
    const clock = this.port.clock;
    clock.clearTimeout(this.idleTimer);
    this.idleTimer = clock.setTimeout(() => {
      this.lastTyping = 0;
      this.port.send({ status: "online", typing: false });
    }, TYPING_IDLE_MS);
    const now = clock.now();
    if (now - this.lastTyping < TYPING_EVERY_MS) return;
    this.lastTyping = now;
    this.port.send({ status: "online", typing: true });
  }

  /** A message went out: it ends "typing…" on the other side by itself, no request needed. */
  sent(): void {
    this.lastTyping = 0;
    this.port.clock.clearTimeout(this.idleTimer);
  }

  /** A message from the other person arrived: they are not typing any more. */
  peerSent(): void {
    this.set({ peerTyping: false });
  }

  /** A presence event of the other person. */
  receive(e: StreamEvent): void {
    if (e.type === "offline") return this.set({ peerPresence: "offline", peerTyping: false });
    const typing = z.object({ typing: z.boolean() }).safeParse(e.payload);
    const on = typing.success && typing.data.typing;
    this.set({ peerPresence: e.type === "away" ? "away" : "online", peerTyping: on });
    const clock = this.port.clock;
    clock.clearTimeout(this.shownTimer);
    if (on) this.shownTimer = clock.setTimeout(() => this.set({ peerTyping: false }), TYPING_SHOWN_MS);
    if (e.type === "online" && !typing.success) this.port.peerReopened();
  }

  dispose(): void {
    this.port.clock.clearTimeout(this.idleTimer);
    this.port.clock.clearTimeout(this.shownTimer);
  }

  private set(patch: Partial<PeerState>): void {
    this.peer = { ...this.peer, ...patch };
    this.port.changed(this.peer);
  }
}
