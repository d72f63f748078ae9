// This person's media in the call: the camera and microphone, a screen shared in place of the
// camera (the doctor's), mute and camera off. Each change goes to the current connection (no
// renegotiation: the sender's track is replaced) and the other side is told what is sent.
import type { PeerLink } from "./peer-link";

export class CallMedia {
  /** the local camera and microphone (none: the person sees and hears the other side only) */
  local: MediaStream | undefined;
  /** a screen shared in place of the camera */
  screen: MediaStreamTrack | undefined;

  constructor(private readonly link: () => PeerLink | undefined) {}

  /** Another camera or microphone: sent in place of the old one. A shared screen keeps its place. */
  async replaceTrack(kind: "audio" | "video", track: MediaStreamTrack): Promise<void> {
    if (kind === "video" && this.screen) return;
    await this.link()?.sendTrack(kind, track);
  }

  /** Sends a shared screen instead of the camera; undefined goes back to the camera. */
  shareScreen(track: MediaStreamTrack | undefined): void {
    this.screen = track;
    const next = track ?? this.local?.getVideoTracks()[0];
    if (next) void this.link()?.sendTrack("video", next);
  }

  /** Mute or unmute the microphone, turn the camera off or on; the other side is told. */
  setEnabled(kind: "audio" | "video", enabled: boolean): void {
    for (const t of kind === "audio" ? (this.local?.getAudioTracks() ?? []) : (this.local?.getVideoTracks() ?? [])) t.enabled = enabled;
    this.link()?.sendMedia();
  }
}
