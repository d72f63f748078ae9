// One browser profile's chat store (lib/client/chat/chat-store.ts) in memory, with the same
// semantics and lib/crypto's real sealing: sealIntoOutbox takes the device's next seq and the hash
// of its last P, seals under the given consult key and stores the sealed body in the outbox,
// one seal at a time (the Web Lock's job); consult keys are real AES-GCM CryptoKeys (raw bytes kept
// only on the owner device); pins per counterpart person. Also the page a chat runs in.
import { chainHash, generateDraftKey, importAeadKey, sealMessage, toBase64Url, uuidBytes, ZERO_HASH, type ConsultKey } from "@/lib/crypto";
import type { Clock } from "@/lib/client/clock";
import type { ChatPage, ChatStore } from "@/lib/client/chat/chat-ports";
import type { TabStorage } from "@/lib/client/chat/send-drafts";
import type { SealInput } from "@/lib/client/chat/chat-store";
import type { ChainState, OutboxEntry, Pin, StoredConsultKey } from "@/lib/client/parley-db";
import type { PostMessageBody } from "@/lib/shared/api";

const consultOf = (userId: string, consultId: string) => `${userId}|${consultId}`;

export class FakeChatStore implements ChatStore {
  private readonly keys = new Map<string, StoredConsultKey[]>();
  private readonly outbox = new Map<string, OutboxEntry>();
  private readonly chains = new Map<string, ChainState>();
  private readonly pins = new Map<string, Pin>();
  private lock: Promise<unknown> = Promise.resolve();
  private readonly draftKeys = new Map<string, Promise<CryptoKey>>();
  /** seals the page started that will never be heard of: the page goes before they land (`holdSeals`) */
  private held: "lost" | "landed" | undefined;
  private readonly inflight = new Set<Promise<unknown>>();
  /** counts every call (a test waits until nothing moves any more) */
  activity = 0;

  constructor(private readonly clock: Clock) {}

  // ---- what a test sets up or reads ----

  /** Stores a consult key as lib/client/consult-keys.ts does: the owner keeps the raw bytes. */
  async addKey(userId: string, consultId: string, k: ConsultKey, owner: boolean, provisional = false): Promise<void> {
    const consult = consultOf(userId, consultId);
    const stored: StoredConsultKey = {
      id: `${consult}|${toBase64Url(k.keyId)}`,
      consult,
      epoch: k.epoch,
      keyId: new Uint8Array(k.keyId),
      key: await importAeadKey(k.key),
      raw: owner ? new Uint8Array(k.key) : undefined,
      receivedAt: this.clock.now(),
      ...(provisional ? (owner ? { handover: { givenTo: [], provisional } } : { provisional }) : {}),
    };
    this.keys.set(consult, [...(this.keys.get(consult) ?? []), stored]);
  }

  pin(myUserId: string, peerUserId: string, spki: Uint8Array, verified: boolean): void {
    this.pins.set(`${myUserId}|${peerUserId}`, { key: `${myUserId}|${peerUserId}`, spki: new Uint8Array(spki), verified, pinnedAt: this.clock.now() });
  }

  chainOf(userId: string, consultId: string, deviceId: string): ChainState | undefined {
    return this.chains.get(`${consultOf(userId, consultId)}|${deviceId}`);
  }

  /** Everything in the outbox, whatever the consult. */
  queued(): OutboxEntry[] {
    return [...this.outbox.values()];
  }

  pending(): Promise<unknown>[] {
    return [...this.inflight];
  }

  /**
   * From now on the page never hears back from a seal, as when it is reloaded in the meantime:
   * "lost", the write never happened (the transaction was aborted with the page); "landed", it is
   * in the outbox but the page went before its success reached it. `release` ends it (the new page).
   */
  holdSeals(how: "lost" | "landed"): void {
    this.held = how;
  }

  release(): void {
    this.held = undefined;
  }

  // ---- ChatStore ----

  consultKeysOf(userId: string, consultId: string): Promise<StoredConsultKey[]> {
    return this.track(() => [...(this.keys.get(consultOf(userId, consultId)) ?? [])].sort((a, b) => b.epoch - a.epoch));
  }

  outboxOf(userId: string, consultId: string): Promise<OutboxEntry[]> {
    const consult = consultOf(userId, consultId);
    return this.track(() =>
      this.queued()
        .filter((e) => e.consult === consult)
        .sort((a, b) => a.seq - b.seq),
    );
  }

  sealIntoOutbox(input: SealInput): Promise<OutboxEntry> {
    if (this.held) {
      if (this.held === "landed") void this.track(() => this.seal(input));
      return new Promise<never>(() => undefined);
    }
    const sealed = this.lock.then(() => this.seal(input));
    this.lock = sealed.catch(() => undefined);
    return this.track(() => sealed);
  }

  removeFromOutbox(id: string): Promise<void> {
    return this.track(() => void this.outbox.delete(id));
  }

  setOutboxFailure(id: string, failed: string | undefined): Promise<void> {
    return this.track(() => {
      const entry = this.outbox.get(id);
      if (entry) this.outbox.set(id, { ...entry, failed });
    });
  }

  pinOf(myUserId: string, peerUserId: string): Promise<Pin | undefined> {
    return this.track(() => this.pins.get(`${myUserId}|${peerUserId}`));
  }

  historyPinOf(_myUserId: string, _consultId: string, _spki: Uint8Array): Promise<Pin | undefined> {
    return Promise.resolve(undefined);
  }

  eraseConsultFromDevice(userId: string, consultId: string): Promise<void> {
    const consult = consultOf(userId, consultId);
    return this.track(() => {
      this.keys.delete(consult);
      for (const e of this.queued()) if (e.consult === consult) this.outbox.delete(e.id);
      for (const k of [...this.chains.keys()]) if (k.startsWith(`${consult}|`)) this.chains.delete(k);
    });
  }

  draftKeyOf(userId: string): Promise<CryptoKey> {
    const key = this.draftKeys.get(userId) ?? generateDraftKey();
    this.draftKeys.set(userId, key);
    return this.track(() => key);
  }

  private async seal(input: SealInput): Promise<OutboxEntry> {
    const key = `${consultOf(input.userId, input.consultId)}|${input.deviceId}`;
    const chain = this.chains.get(key) ?? { key, nextSeq: 0, lastHash: ZERO_HASH() };
    const now = this.clock.now();
    const { id } = input;
    const sealed = await sealMessage(input.key.key, input.identityKey, {
      kind: input.kind,
      consultId: uuidBytes(input.consultId),
      keyId: input.key.keyId,
      senderDeviceId: uuidBytes(input.deviceId),
      messageId: uuidBytes(id),
      seq: BigInt(chain.nextSeq),
      prevHash: chain.lastHash,
      sentAt: BigInt(input.sentAt),
      body: input.body,
    });
    const body: PostMessageBody = {
      id,
      senderDeviceId: input.deviceId,
      seq: chain.nextSeq,
      keyId: toBase64Url(input.key.keyId),
      iv: toBase64Url(sealed.iv),
      ciphertext: toBase64Url(sealed.ciphertext),
    };
    const entry: OutboxEntry = { id, consult: consultOf(input.userId, input.consultId), seq: chain.nextSeq, body, createdAt: now };
    const lastHash = await chainHash(sealed.p);
    // one transaction in IndexedDB: the entry and the advanced chain together, refused (`add`) for an id already queued
    if (this.outbox.has(id)) throw new DOMException("an outbox entry with this id exists", "ConstraintError");
    this.outbox.set(id, entry);
    this.chains.set(key, { key, nextSeq: chain.nextSeq + 1, lastHash });
    return entry;
  }

  /** Runs a call as IndexedDB would: never within the caller's turn. */
  private track<T>(fn: () => T | Promise<T>): Promise<T> {
    this.activity++;
    const p = Promise.resolve().then(fn);
    const forget = () => void this.inflight.delete(done);
    const done: Promise<void> = p.then(forget, forget);
    this.inflight.add(done);
    return p;
  }
}

/** The tab's session storage: what a reload of the tab keeps. */
export class FakeTabStorage implements TabStorage {
  readonly items = new Map<string, string>();
  getItem(name: string): string | null {
    return this.items.get(name) ?? null;
  }
  setItem(name: string, value: string): void {
    this.items.set(name, value);
  }
  removeItem(name: string): void {
    this.items.delete(name);
  }
}

/** The page: shown or hidden as the test says, the files it was handed, and its tab's storage. */
export class FakeChatPage implements ChatPage {
  shown = true;
  readonly saved: { name: string; text: string }[] = [];
  readonly tab = new FakeTabStorage();

  tabStorage(): TabStorage {
    return this.tab;
  }

  visible(): boolean {
    return this.shown;
  }

  saveText(name: string, text: string): void {
    this.saved.push({ name, text });
  }
}
