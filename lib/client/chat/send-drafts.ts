// Messages between the press of Send and their sealed copy in the outbox (docs/protocol.md §4
// "Unsealed drafts"). Sealing is asynchronous and lands ~17 ms after the click; a reload in between
// would lose a message the person already saw on screen. So the click also keeps it, synchronously,
// in the tab's session storage (which a reload of the tab keeps), masked with keystream made ahead
// of time under this device's draft key (lib/crypto/draft-mask.ts): no plaintext is ever stored.
// The draft goes as soon as the sealed copy is in the outbox; a reloaded page unmasks what is left
// and seals it then, under the same message id, so it is sent once.
import { z } from "zod";
import { blocksFor, ctrKeystream, draftCounter, DRAFT_NONCE_BYTES, fromBase64Url, randomBytes, toBase64Url, xorKeystream, type Bytes, type MessageKind } from "@/lib/crypto";

/** What of the tab's session storage the drafts use (the browser's `sessionStorage`; tests pass a map). */
export type TabStorage = Pick<Storage, "getItem" | "setItem" | "removeItem">;

/** A message the person sent that is not sealed yet. */
export type Draft = { id: string; sentAt: number; kind: MessageKind; body: Bytes };

/** Keystream made ahead: a message of up to 8000 characters (32 000 bytes) always fits. */
const RESERVE_BYTES = 64 * 1024;

const b64url = z.string().regex(/^[A-Za-z0-9_-]*$/);
const storedDraft = z
  .object({
    id: z.string().uuid(),
    sentAt: z.number().int().nonnegative(),
    kind: z.enum(["text", "file"]),
    /** the page's nonce and the first block of keystream the body was masked with */
    nonce: b64url,
    block: z.number().int().nonnegative(),
    masked: b64url,
  })
  .strict();
type StoredDraft = z.infer<typeof storedDraft>;

export class SendDrafts {
  private readonly nonce = randomBytes(DRAFT_NONCE_BYTES);
  private key: CryptoKey | undefined;
  /** keystream from block `base` on; `used` bytes of it (whole blocks) are handed out */
  private stream: Bytes = new Uint8Array(0);
  private base = 0;
  private used = 0;
  private refilling: Promise<void> | undefined;
  /** what earlier pages of this tab left unsealed, unmasked (empty when there is nothing or no storage) */
  readonly earlier: Promise<Draft[]>;

  constructor(
    private readonly name: string,
    private readonly storage: TabStorage | undefined,
    keyOf: () => Promise<CryptoKey>,
  ) {
    const left = this.read();
    this.earlier = keyOf().then(async (key) => {
      this.key = key;
      await this.refill();
      return this.unmask(key, left);
    });
  }

  /**
   * Keeps a message until `sealed(id)`, synchronously (in the click's own task). Where it cannot be
   * kept (no session storage, no keystream yet, storage full) it is only as durable as the sealing
   * that follows.
   */
  keep(d: Draft): void {
    const need = blocksFor(d.body.length) * 16;
    if (!this.storage || this.stream.length - this.used < need) {
      void this.refill();
      return;
    }
    const record: StoredDraft = {
      id: d.id,
      sentAt: d.sentAt,
      kind: d.kind,
      nonce: toBase64Url(this.nonce),
      block: this.base + this.used / 16,
      masked: toBase64Url(xorKeystream(d.body, this.stream, this.used)),
    };
    // Handed out even if the write fails: a block is never masked with twice.
    this.used += need;
    if (this.stream.length - this.used < RESERVE_BYTES / 2) void this.refill();
    this.write([...this.read(), record]);
  }

  /** The message is sealed into the outbox (or was dropped): its draft goes. */
  sealed(id: string): void {
    const left = this.read();
    if (left.some((d) => d.id === id)) this.write(left.filter((d) => d.id !== id));
  }

  /** Every draft of this consult goes (the consult was removed from the device). */
  clear(): void {
    this.write([]);
  }

  private async refill(): Promise<void> {
    if (!this.key) return;
    this.refilling ??= (async () => {
      const end = this.base + this.stream.length / 16;
      const more = await ctrKeystream(this.key!, draftCounter(this.nonce, end), RESERVE_BYTES);
      const rest = this.stream.subarray(this.used);
      const next = new Uint8Array(rest.length + more.length);
      next.set(rest);
      next.set(more, rest.length);
      this.base += this.used / 16;
      this.used = 0;
      this.stream = next;
    })().finally(() => (this.refilling = undefined));
    return this.refilling;
  }

  private async unmask(key: CryptoKey, left: StoredDraft[]): Promise<Draft[]> {
    const out: Draft[] = [];
    for (const d of left) {
      try {
        const masked = fromBase64Url(d.masked);
        const stream = await ctrKeystream(key, draftCounter(fromBase64Url(d.nonce), d.block), blocksFor(masked.length) * 16);
        out.push({ id: d.id, sentAt: d.sentAt, kind: d.kind, body: xorKeystream(masked, stream) });
      } catch {
        this.sealed(d.id); // not ours to read (a malformed record): it goes
      }
    }
    return out;
  }

  private read(): StoredDraft[] {
    try {
      const raw = this.storage?.getItem(this.name);
      if (!raw) return [];
      const parsed = z.array(storedDraft).safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : [];
    } catch {
      return [];
    }
  }

  private write(drafts: StoredDraft[]): void {
    try {
      if (drafts.length === 0) this.storage?.removeItem(this.name);
      else this.storage?.setItem(this.name, JSON.stringify(drafts));
    } catch (err) {
      console.warn("[parley] chat: could not keep an unsealed message in the tab:", err);
    }
  }
}

/** Where a person's unsealed drafts of a consult are kept in the tab. */
export const draftsName = (userId: string, consultId: string): string => `parley-unsealed|${userId}|${consultId}`;

/** The tab's session storage, where the browser offers it. */
export function browserTabStorage(): TabStorage | undefined {
  try {
    return typeof window === "undefined" ? undefined : window.sessionStorage;
  } catch {
    return undefined; // storage blocked for this site
  }
}
