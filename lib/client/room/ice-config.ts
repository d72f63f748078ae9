// ICE servers for a consult's peer connections (STUN from the settings, or the server's TURN
// credentials, renewed before they expire).
import type { ClientSettings } from "@/lib/shared/settings";
import { consultActions } from "../consults";

/**
 * ICE servers for this consult's peer connections: STUN from the settings; with TURN, the server's
 * answer (STUN too, and TURN with a credential that expires within the hour), asked for again
 * five minutes before it expires.
 */
export function iceConfigFor(consultId: string, settings: ClientSettings): { current(): Promise<RTCConfiguration> } {
  // A request in flight is shared: the session asks once when it starts (so the credential is at
  // hand when the peer is created after the handshake) and again for each peer and ICE restart.
  let cached: { config: Promise<RTCConfiguration>; until: number } | undefined;
  return {
    current() {
      if (!settings.turnEnabled) {
        return Promise.resolve({ iceServers: settings.stunUrls.length > 0 ? [{ urls: settings.stunUrls }] : [], iceTransportPolicy: settings.iceTransportPolicy });
      }
      if (cached && Date.now() < cached.until) return cached.config;
      const pending = consultActions.iceServers(consultId).then((a) => {
        const config: RTCConfiguration = { iceServers: a.iceServers, iceTransportPolicy: a.iceTransportPolicy };
        cached = { config: Promise.resolve(config), until: a.expiresAt ? Date.parse(a.expiresAt) - 5 * 60_000 : Number.POSITIVE_INFINITY };
        return config;
      });
      cached = { config: pending, until: Number.POSITIVE_INFINITY };
      pending.catch(() => {
        if (cached?.config === pending) cached = undefined; // the next peer or restart asks again
      });
      return pending;
    },
  };
}
