// The call's signaling messages, carried as signals on the consult's event log (the server relays
// them without reading them). Every message names the sending call session (`sid`: the 16-byte
// handshake session id `s` of PROTOCOL §2, base64url, new on every page load and every retry);
// directed ones name the receiving session (`to`), so messages of an old session are dropped.
import { z } from "zod";

/** A 16-byte session id, base64url (made by lib/rtc/handshake.ts). */
export const sessionId = z.string().regex(/^[A-Za-z0-9_-]{22}$/, "a call session id");

/** simple-peer's signal data: SDP offers/answers, ICE candidates, renegotiation requests. */
const peerSignal = z
  .object({
    type: z.enum(["offer", "answer", "pranswer", "rollback", "candidate", "renegotiate", "transceiverRequest"]),
    sdp: z.string().max(64_000).optional(),
    candidate: z.object({ candidate: z.string().max(2_000), sdpMid: z.string().nullish(), sdpMLineIndex: z.number().int().nullish(), usernameFragment: z.string().nullish() }).optional(),
    renegotiate: z.boolean().optional(),
    transceiverRequest: z.object({ kind: z.string(), init: z.record(z.string(), z.unknown()).optional() }).optional(),
  })
  .loose();

/** An ICE generation of one peer connection: 0 for its first negotiation, one more per ICE restart. */
const iceGeneration = z.number().int().min(0).max(1_000_000);

const b64 = (min: number, max: number) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]*$/, "base64url")
    .min(min)
    .max(max);

export const callMessage = z.discriminatedUnion("type", [
  /** step 1 of the handshake: the commitment to this session's hello; `reply` answers the other's commit */
  z.object({ type: z.literal("commit"), sid: sessionId, deviceId: z.uuid(), c: b64(43, 43), reply: z.boolean() }),
  /** step 2: the signed hello, revealed to one peer session */
  z.object({ type: z.literal("reveal"), sid: sessionId, to: sessionId, hello: b64(300, 400), sig: b64(86, 86) }),
  /** "the codes match", sealed under the pairwise key so only the verified peer can send it */
  z.object({ type: z.literal("confirm"), sid: sessionId, to: sessionId, iv: b64(16, 16), ct: b64(20, 200) }),
  /** the consult key, wrapped under the pairwise key for one verified device (PROTOCOL §3) */
  z.object({ type: z.literal("key"), sid: sessionId, to: sessionId, iv: b64(16, 16), ct: b64(91, 91) }),
  /**
   * simple-peer's signaling from session `sid` to session `to`, of ICE generation `gen` (absent:
   * 0), so an answer or candidate of a restart that a newer one replaced is dropped, not applied
   */
  z.object({ type: z.literal("rtc"), sid: sessionId, to: sessionId, gen: iceGeneration.optional(), data: peerSignal }),
  /** the responder's connection is down and no restart past generation `gen` has worked: please restart ICE */
  z.object({ type: z.literal("ice-restart"), sid: sessionId, to: sessionId, gen: iceGeneration }),
  /** session `sid` left the call (hang-up, page closed) */
  z.object({ type: z.literal("bye"), sid: sessionId }),
]);
export type CallMessage = z.infer<typeof callMessage>;
export type PeerSignal = z.infer<typeof peerSignal>;

/** Messages on the peer-to-peer data channel once connected. */
export const channelMessage = z.discriminatedUnion("type", [
  /** which of its tracks the sender is sending (mute, camera off) */
  z.object({ type: z.literal("media"), audio: z.boolean(), video: z.boolean(), hasAudio: z.boolean(), hasVideo: z.boolean() }),
  z.object({ type: z.literal("bye") }),
  /**
   * The sender device's chat chain head (PROTOCOL §4): its highest seq and the hash of that
   * message's P, sent during the call and at its end, so a message the server withholds is noticed.
   */
  z.object({ type: z.literal("chain-head"), deviceId: z.uuid(), seq: z.number().int().min(0), hash: b64(43, 43) }),
]);
export type ChannelMessage = z.infer<typeof channelMessage>;
export type ChainHeadMessage = Extract<ChannelMessage, { type: "chain-head" }>;

/** Parses a signal event (type and payload from the log) into a call message, or undefined. */
export function parseCallMessage(type: string, payload: unknown): CallMessage | undefined {
  const r = callMessage.safeParse(typeof payload === "object" && payload !== null ? { ...payload, type } : undefined);
  return r.success ? r.data : undefined;
}

/** A call message as a signal: its type, and the rest as the payload. */
export function toSignal(msg: CallMessage): { type: string; payload: Record<string, unknown> } {
  const { type, ...payload } = msg;
  return { type, payload };
}
