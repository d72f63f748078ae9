// A camera-and-microphone MediaStream stand-in: the call only asks for its tracks (which kinds,
// enabled or not) and hands it to the peer.
export type FakeTrack = { kind: "audio" | "video"; id: string; enabled: boolean; stop(): void };

export function fakeStream(kinds: { audio?: boolean; video?: boolean } = { audio: true, video: true }, id: string = crypto.randomUUID()): MediaStream {
  const tracks: FakeTrack[] = [];
  if (kinds.audio) tracks.push({ kind: "audio", id: `${id}-a`, enabled: true, stop: () => undefined });
  if (kinds.video) tracks.push({ kind: "video", id: `${id}-v`, enabled: true, stop: () => undefined });
  const stream = {
    id,
    active: true,
    getTracks: () => [...tracks],
    getAudioTracks: () => tracks.filter((t) => t.kind === "audio"),
    getVideoTracks: () => tracks.filter((t) => t.kind === "video"),
  };
  return stream as unknown as MediaStream;
}
