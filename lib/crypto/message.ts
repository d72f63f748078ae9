// Sealed chat messages (PROTOCOL §4).
//   P         = enc(v, kind, consultId, keyId, senderDeviceId, messageId, u64 seq, prevHash, u64 sentAt, body)
//   sig       = ECDSA(identity, enc("parley/v1/msg-sig", P))
//   plaintext = pad(enc(P, sig))          pad: 0x80 then zeros up to 256 B, 1 KiB, 4 KiB, 16 KiB, then multiples of 16 KiB
//   AAD       = enc("parley/v1/msg", consultId, keyId, senderDeviceId, messageId, u64 seq)
//   ciphertext = AES-256-GCM(K, random 96-bit IV, plaintext, AAD)
// Opening checks, in order: the AEAD (any altered bit), the padding, the signature by the sender's
// identity key, and that the signed fields equal the AAD fields the server stored beside it.
import { equal, fromUtf8, readU64, u64, utf8, type Bytes } from "./bytes";
import { dec, enc } from "./encoding";
import { LABEL, label, version } from "./labels";
import { importVerifyKey, open, seal, sha256, signRaw, verifyRaw, type AeadKey } from "./primitives";
import { ProtocolError } from "./subtle";

export type MessageKind = "text" | "file";

export type ChatMessage = {
  kind: MessageKind;
  consultId: Bytes;
  keyId: Bytes;
  senderDeviceId: Bytes;
  /** a random UUID v4 made by the sender; also the idempotency key */
  messageId: Bytes;
  /** counts from 0 per consult and sender device */
  seq: bigint;
  /** SHA-256 of the sender's previous P; 32 zero bytes for seq 0 */
  prevHash: Bytes;
  /** milliseconds since the epoch, as the sender's clock says */
  sentAt: bigint;
  body: Bytes;
};

/** What the server stores beside the ciphertext, and what the AAD binds. */
export type MessageHeader = { consultId: Uint8Array; keyId: Uint8Array; senderDeviceId: Uint8Array; messageId: Uint8Array; seq: bigint };

const SIXTEEN = new Set<keyof ChatMessage>(["consultId", "keyId", "senderDeviceId", "messageId"]);

function checkShape(m: ChatMessage): void {
  for (const k of SIXTEEN) if ((m[k] as Uint8Array).length !== 16) throw new ProtocolError(`message.${k} must be 16 bytes`);
  if (m.prevHash.length !== 32) throw new ProtocolError("message.prevHash must be 32 bytes");
  if (m.seq < 0n || m.sentAt < 0n) throw new ProtocolError("negative seq or time");
}

export function encodeMessage(m: ChatMessage): Bytes {
  checkShape(m);
  return enc(version(), utf8(m.kind), m.consultId, m.keyId, m.senderDeviceId, m.messageId, u64(m.seq), m.prevHash, u64(m.sentAt), m.body);
}

export function decodeMessage(p: Uint8Array): ChatMessage {
  let f: Bytes[];
  try {
    f = dec(p, 10);
  } catch {
    throw new ProtocolError("malformed message");
  }
  const [v, kind, consultId, keyId, senderDeviceId, messageId, seq, prevHash, sentAt, body] = f as [Bytes, Bytes, Bytes, Bytes, Bytes, Bytes, Bytes, Bytes, Bytes, Bytes];
  if (!equal(v, version())) throw new ProtocolError("message of another protocol version");
  let k: string;
  try {
    k = fromUtf8(kind);
  } catch {
    throw new ProtocolError("malformed message kind");
  }
  if (k !== "text" && k !== "file") throw new ProtocolError("unknown message kind");
  if (seq.length !== 8 || sentAt.length !== 8) throw new ProtocolError("malformed message numbers");
  const m: ChatMessage = { kind: k, consultId, keyId, senderDeviceId, messageId, seq: readU64(seq), prevHash, sentAt: readU64(sentAt), body };
  checkShape(m);
  return m;
}

// ---- padding ----

const KiB = 1024;

/** The padded size for `n` bytes of content plus the 0x80 marker. */
export function paddedSize(n: number): number {
  const need = n + 1;
  for (const bucket of [256, KiB, 4 * KiB, 16 * KiB]) if (need <= bucket) return bucket;
  return Math.ceil(need / (16 * KiB)) * 16 * KiB;
}

export function pad(b: Uint8Array): Bytes {
  const out = new Uint8Array(paddedSize(b.length));
  out.set(b);
  out[b.length] = 0x80;
  return out;
}

/** Strips the padding; refuses a missing marker or a length that is not the content's bucket. */
export function unpad(b: Uint8Array): Bytes {
  let i = b.length - 1;
  while (i >= 0 && b[i] === 0) i--;
  if (i < 0 || b[i] !== 0x80) throw new ProtocolError("bad padding");
  if (paddedSize(i) !== b.length) throw new ProtocolError("padding longer than its bucket");
  return b.slice(0, i);
}

// ---- sealing ----

export function messageAad(h: MessageHeader): Bytes {
  return enc(label(LABEL.msg), h.consultId, h.keyId, h.senderDeviceId, h.messageId, u64(h.seq));
}

export const ZERO_HASH = (): Bytes => new Uint8Array(32);

export type SealedMessage = { iv: Bytes; ciphertext: Bytes; /** P, whose hash is the next message's prevHash */ p: Bytes };

export async function sealMessage(key: AeadKey, identityPrivate: CryptoKey, m: ChatMessage, iv?: Uint8Array): Promise<SealedMessage> {
  const p = encodeMessage(m);
  const sig = await signRaw(identityPrivate, enc(label(LABEL.msgSig), p));
  const { iv: usedIv, ciphertext } = await seal(key, pad(enc(p, sig)), messageAad(m), iv);
  return { iv: usedIv, ciphertext, p };
}

/**
 * Opens a stored message: decrypts under the header's AAD, checks the padding, the signature by
 * `senderIdentity` (SPKI) and that the signed fields equal the header. Throws ProtocolError on any
 * failure — the caller shows the message as "could not be verified", never hides it.
 */
export async function openMessage(key: AeadKey, iv: Uint8Array, ciphertext: Uint8Array, header: MessageHeader, senderIdentity: Uint8Array): Promise<{ message: ChatMessage; p: Bytes }> {
  const plain = await open(key, iv, ciphertext, messageAad(header));
  let p: Bytes;
  let sig: Bytes;
  try {
    [p, sig] = dec(unpad(plain), 2) as [Bytes, Bytes];
  } catch {
    throw new ProtocolError("malformed message plaintext");
  }
  const verifyKey = await importVerifyKey(senderIdentity);
  if (!(await verifyRaw(verifyKey, enc(label(LABEL.msgSig), p), sig))) throw new ProtocolError("the message's signature does not verify");
  const message = decodeMessage(p);
  if (
    !equal(message.consultId, header.consultId) ||
    !equal(message.keyId, header.keyId) ||
    !equal(message.senderDeviceId, header.senderDeviceId) ||
    !equal(message.messageId, header.messageId) ||
    message.seq !== header.seq
  ) {
    throw new ProtocolError("the signed fields differ from the stored header");
  }
  return { message, p };
}

export function chainHash(p: Uint8Array): Promise<Bytes> {
  return sha256(p);
}

// ---- receiving order ----

export type ChainEvent = { type: "duplicate"; seq: bigint } | { type: "gap"; from: bigint; to: bigint } | { type: "broken-chain"; seq: bigint };

/**
 * One sender device's chain as a receiver sees it: duplicates (same message id) are dropped, messages
 * are placed by seq, a missing seq is reported as a gap, and a message whose prevHash is not the
 * hash of the previous P is reported as a broken chain (reordered, replaced or forged history).
 */
export class SenderChain {
  private readonly byId = new Map<string, bigint>();
  private readonly bySeq = new Map<bigint, { id: string; p: Bytes; prevHash: Bytes }>();

  async add(message: ChatMessage, p: Uint8Array): Promise<ChainEvent[]> {
    const id = Array.from(message.messageId, (b) => b.toString(16).padStart(2, "0")).join("");
    if (this.byId.has(id)) return [{ type: "duplicate", seq: message.seq }];
    if (this.bySeq.has(message.seq)) return [{ type: "broken-chain", seq: message.seq }]; // two messages claim one seq
    this.byId.set(id, message.seq);
    this.bySeq.set(message.seq, { id, p: new Uint8Array(p), prevHash: message.prevHash });
    return this.check();
  }

  /** The whole chain's state: gaps and broken links, given what has arrived. */
  async check(): Promise<ChainEvent[]> {
    const seqs = [...this.bySeq.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const events: ChainEvent[] = [];
    let expected = 0n;
    for (const seq of seqs) {
      if (seq > expected) events.push({ type: "gap", from: expected, to: seq - 1n });
      const entry = this.bySeq.get(seq);
      const prev = this.bySeq.get(seq - 1n);
      if (entry) {
        if (seq === 0n && !equal(entry.prevHash, ZERO_HASH())) events.push({ type: "broken-chain", seq });
        if (prev && !equal(entry.prevHash, await chainHash(prev.p))) events.push({ type: "broken-chain", seq });
      }
      expected = seq + 1n;
    }
    return events;
  }

  /** The highest seq held and the hash of its P (what a chain-head exchange compares). */
  async head(): Promise<{ seq: bigint; hash: Bytes } | undefined> {
    let top: bigint | undefined;
    for (const s of this.bySeq.keys()) if (top === undefined || s > top) top = s;
    if (top === undefined) return undefined;
    const entry = this.bySeq.get(top);
    return entry ? { seq: top, hash: await chainHash(entry.p) } : undefined;
  }
}
