// The signed hello of the handshake (PROTOCOL §2):
//   hello = enc(v, consultId, deviceId, s, identity SPKI, e, DTLS certificate fingerprint)
//   sig   = ECDSA(identity, enc("parley/v1/hello-sig", hello))
//   c     = SHA-256(enc("parley/v1/commit", hello))
// Field sizes are fixed: ids 16 bytes, SPKI 91, e a 65-byte uncompressed point, the DTLS
// fingerprint the 32-byte SHA-256 of the certificate. Anything else is refused.
import { equal, fromHex, toHex, type Bytes } from "./bytes";
import { dec, enc } from "./encoding";
import { LABEL, label, version } from "./labels";
import { importVerifyKey, sha256, SIZES, verifyRaw } from "./primitives";
import { signLabeled } from "./identity";
import { ProtocolError } from "./subtle";

export type Hello = {
  consultId: Bytes;
  deviceId: Bytes;
  /** the session id of this join */
  sid: Bytes;
  /** identity public key, SPKI */
  identity: Bytes;
  /** ephemeral ECDH public key, 65-byte point */
  ephemeral: Bytes;
  /** SHA-256 fingerprint of the DTLS certificate this session's peer connection uses */
  dtls: Bytes;
};

const FIELD_SIZES: [keyof Hello, number][] = [
  ["consultId", 16],
  ["deviceId", 16],
  ["sid", 16],
  ["identity", 91],
  ["ephemeral", SIZES.point],
  ["dtls", 32],
];

export function encodeHello(h: Hello): Bytes {
  for (const [k, n] of FIELD_SIZES) if (h[k].length !== n) throw new ProtocolError(`hello.${k} must be ${n} bytes`);
  return enc(version(), h.consultId, h.deviceId, h.sid, h.identity, h.ephemeral, h.dtls);
}

export function decodeHello(bytes: Uint8Array): Hello {
  let fields: Bytes[];
  try {
    fields = dec(bytes, 7);
  } catch (err) {
    throw new ProtocolError(`malformed hello: ${err instanceof Error ? err.message : "undecodable"}`);
  }
  const [v, consultId, deviceId, sid, identity, ephemeral, dtls] = fields as [Bytes, Bytes, Bytes, Bytes, Bytes, Bytes, Bytes];
  if (!equal(v, version())) throw new ProtocolError("hello of another protocol version");
  const h: Hello = { consultId, deviceId, sid, identity, ephemeral, dtls };
  for (const [k, n] of FIELD_SIZES) if (h[k].length !== n) throw new ProtocolError(`hello.${k} must be ${n} bytes`);
  return h;
}

export function signHello(identityPrivate: CryptoKey, hello: Uint8Array): Promise<Bytes> {
  return signLabeled(identityPrivate, LABEL.helloSig, hello);
}

/** Decodes a hello and checks its signature by the identity key it carries; refuses otherwise. */
export async function verifyHello(hello: Uint8Array, signature: Uint8Array): Promise<Hello> {
  const h = decodeHello(hello);
  const key = await importVerifyKey(h.identity);
  if (!(await verifyRaw(key, enc(label(LABEL.helloSig), hello), signature))) throw new ProtocolError("the hello's signature does not verify");
  return h;
}

export function commitment(hello: Uint8Array): Promise<Bytes> {
  return sha256(enc(label(LABEL.commit), hello));
}

// ---- DTLS fingerprints ----

/** "AB:CD:…" (32 colon-separated hex bytes, as in SDP and getStats) → 32 bytes. */
export function parseDtlsFingerprint(text: string): Bytes {
  const m = /^([0-9A-Fa-f]{2})(:[0-9A-Fa-f]{2}){31}$/.exec(text.trim());
  if (!m) throw new ProtocolError("not a SHA-256 certificate fingerprint");
  return fromHex(text.trim().replace(/:/g, ""));
}

export function formatDtlsFingerprint(b: Uint8Array): string {
  return (toHex(b).toUpperCase().match(/../g) ?? []).join(":");
}

/**
 * Every `a=fingerprint` line of an SDP must be `sha-256` and equal `expected` (the fingerprint in
 * that sender's verified hello), and there must be at least one; otherwise the SDP is refused.
 */
export function checkSdpFingerprints(sdp: string, expected: Uint8Array): void {
  // Every line that starts like a fingerprint attribute counts, however it is spaced: a line the
  // strict pattern cannot read is refused, never skipped.
  const lines = sdp.split(/\r?\n/).filter((l) => /^a=fingerprint:/i.test(l.trim()));
  if (lines.length === 0) throw new ProtocolError("the SDP carries no certificate fingerprint");
  for (const line of lines) {
    const m = /^a=fingerprint:(\S+) (\S+)[ \t]*$/i.exec(line);
    if (!m) throw new ProtocolError("a malformed fingerprint line in the SDP");
    const [, alg, value] = m;
    if ((alg ?? "").toLowerCase() !== "sha-256") throw new ProtocolError(`the SDP uses a ${alg ?? "?"} fingerprint, not sha-256`);
    if (!equal(parseDtlsFingerprint(value ?? ""), expected)) throw new ProtocolError("the SDP's certificate is not the one in the verified hello");
  }
}
