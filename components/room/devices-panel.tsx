"use client";
// Camera, microphone and speaker choice, also mid-call; camera flip where there are two cameras;
// screen sharing for the doctor. The choices come from lib/client/local-media.ts and the call
// swaps what it sends without interrupting; this component holds no media logic of its own.
import type { RoomMedia } from "@/lib/client/local-media";
import { useDeviceList } from "@/lib/client/local-media";
import { Button } from "../ui/button";

type Props = {
  media: RoomMedia;
  speakerId: string | undefined;
  onSpeaker: (deviceId: string) => void;
  screen?: { sharing: boolean; problem?: string; start: () => void; stop: () => void };
};

const label = (d: MediaDeviceInfo, i: number, what: string) => d.label || `${what} ${i + 1}`;

export function DevicesPanel({ media, speakerId, onSpeaker, screen }: Props) {
  const devices = useDeviceList(!!media.stream);
  const camera = media.current("video");
  const microphone = media.current("audio");
  const select = "min-h-11 w-full rounded-xl border border-slate-300 bg-white px-3 text-sm";
  return (
    <details className="rounded-2xl border border-slate-200 bg-white px-4 py-3" data-testid="devices-panel">
      <summary className="min-h-11 cursor-pointer content-center font-medium">Camera, microphone and speaker</summary>
      <div className="mt-3 grid gap-3 sm:grid-cols-3">
        <label className="text-sm">
          Camera
          <select data-testid="camera-select" className={select} value={camera ?? ""} disabled={devices.cameras.length === 0} onChange={(e) => void media.switchDevice("video", e.target.value)}>
            {devices.cameras.map((d, i) => (
              <option key={d.deviceId} value={d.deviceId}>
                {label(d, i, "Camera")}
              </option>
            ))}
          </select>
        </label>
        <label className="text-sm">
          Microphone
          <select data-testid="mic-select" className={select} value={microphone ?? ""} disabled={devices.microphones.length === 0} onChange={(e) => void media.switchDevice("audio", e.target.value)}>
            {devices.microphones.map((d, i) => (
              <option key={d.deviceId} value={d.deviceId}>
                {label(d, i, "Microphone")}
              </option>
            ))}
          </select>
        </label>
        {devices.speakers.length > 0 && (
          <label className="text-sm">
            Speaker
            <select data-testid="speaker-select" className={select} value={speakerId ?? ""} onChange={(e) => onSpeaker(e.target.value)}>
              <option value="">System default</option>
              {devices.speakers.map((d, i) => (
                <option key={d.deviceId} value={d.deviceId}>
                  {label(d, i, "Speaker")}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      <div className="mt-3 flex flex-wrap gap-2">
        {devices.cameras.length > 1 && (
          <Button variant="secondary" data-testid="flip-camera" onClick={() => void media.flipCamera()}>
            Flip camera
          </Button>
        )}
        {screen &&
          (screen.sharing ? (
            <Button variant="secondary" data-testid="share-screen" aria-pressed onClick={screen.stop}>
              Stop sharing the screen
            </Button>
          ) : (
            <Button variant="secondary" data-testid="share-screen" aria-pressed={false} onClick={screen.start} disabled={!camera}>
              Share your screen
            </Button>
          ))}
      </div>
      {media.switchProblem && <p className="mt-2 text-sm text-red-800">That device could not be started (it may be in use by another app). The call goes on with the previous one.</p>}
      {screen?.problem && <p className="mt-2 text-sm text-red-800">{screen.problem}</p>}
    </details>
  );
}
