// The call's peer link for one handshake session (lib/rtc/peer-link.ts): made with that session's
// certificate, its messages addressed from this session to the peer's; and what the link's state
// means for the call's state.
import type { Clock } from "@/lib/client/clock";
import type { Handshake } from "./handshake";
import type { CallMessage } from "./messages";
import { PeerLink, simplePeer, type PeerLinkEvents } from "./peer-link";
import type { CallMedia } from "./call-media";
import type { CallMarks } from "./call-timeline";
import type { CallOptions, CallSnapshot } from "./call-state";

export type CallLinkOptions = {
  call: CallOptions;
  /** the handshake session the link belongs to (its certificate is the one in its hello) */
  hs: Handshake;
  remoteSid: string;
  config: RTCConfiguration;
  media: CallMedia;
  clock: Clock;
  marks: CallMarks;
  post(msg: CallMessage): void;
  events: PeerLinkEvents;
};

export function openCallLink(o: CallLinkOptions): PeerLink {
  return new PeerLink({
    initiator: o.call.initiator,
    certificate: o.hs.certificate,
    config: o.config,
    renewConfig: () => o.call.rtcConfig(),
    local: o.media.local,
    screen: () => o.media.screen,
    newPeer: o.call.newPeer ?? simplePeer,
    clock: o.clock,
    marks: o.marks,
    post: (m) => o.post({ ...m, sid: o.hs.sid, to: o.remoteSid }),
    events: o.events,
  });
}

/**
 * The call's snapshot with what its link shows: the other side's media, and "connected" (`up`) once
 * the data channel is open, ICE is not down, and the other side's media (if it sends any) arrived.
 */
export function withLink(snap: CallSnapshot, link: PeerLink | undefined): { snap: CallSnapshot; up: boolean } {
  const m = link?.remoteMedia;
  const shown = m ? { ...snap, remoteMedia: m } : snap;
  if (!link?.isOpen || shown.state === "failed" || shown.state === "ended" || link.iceDown) return { snap: shown, up: false };
  const expectsMedia = m === undefined || m.hasAudio || m.hasVideo;
  if (expectsMedia && !shown.remoteStream) return { snap: shown, up: false };
  return { snap: { ...shown, state: "connected", problem: undefined }, up: true };
}
