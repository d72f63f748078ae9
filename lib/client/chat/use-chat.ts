"use client";
// The room's chat (PROTOCOL §4) for the UI: loads and opens the stored history on (re)entry,
// opens each message that arrives on the event stream, seals what the person types into the
// IndexedDB outbox and posts it (same bytes on every retry, until the server has it), sends
// receipts, presence and typing, exchanges chain heads over the call, exports the transcript, and
// removes the consult from this device or (the doctor) its ciphertext from the server.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { encodeFileNotice, equal, fromBase64Url, openMessage, toBase64Url, toHex, utf8, uuidBytes, type ChatMessage, type FileNotice, type MessageKind } from "@/lib/crypto";
import { messageReceiptBody, storedMessage, type StoredMessage, type StreamEvent } from "@/lib/shared/api";
import type { ChainHeadMessage } from "@/lib/rtc/messages";
import type { E2eeStatus } from "@/lib/rtc/call";
import type { DeviceIdentity, OutboxEntry, Pin, StoredConsultKey } from "../parley-db";
import { ClientApiError } from "../api";
import { chatActions } from "../consults";
import type { SignalBus } from "../use-call";
import { ChatLog, NO_KEY, type ChatItem, type MessageMeta } from "./chat-log";
import { consultKeysOf, eraseConsultFromDevice, outboxOf, pinOf, removeFromOutbox, sealIntoOutbox, setOutboxFailure } from "./chat-store";
import { transcript, type TranscriptPerson } from "./transcript";
import { shownMessage, type ShownMessage } from "./message-body";
import { z } from "zod";

const UNVERIFIABLE = "This message could not be verified: it was altered, or not sealed by the device it claims.";
const WRONG_KEY = "This message could not be verified: it is signed for a key this device does not know for its sender.";
/** How long a peer's chain head may run ahead of what the server delivered before it counts as withheld. */
const HEAD_GRACE_MS = 3_000;
const TYPING_EVERY_MS = 3_000;
const TYPING_IDLE_MS = 4_000;
const TYPING_SHOWN_MS = 6_000;
const RECEIPT_DELAY_MS = 150;

export type PeerPresence = "online" | "away" | "offline";

export type UseChatOptions = {
  consultId: string;
  userId: string;
  identity: DeviceIdentity | undefined;
  /** the people of the consult, by user id (names in the chat and the transcript) */
  people: TranscriptPerson[];
  /** the other participant, when there is one */
  other: { id: string; userId: string; online: boolean } | undefined;
  myParticipantId: string;
  events: SignalBus;
  /** the call's verification state (PROTOCOL §3 gates sending on it) */
  e2ee: E2eeStatus;
  /** the epoch of the consult key the call last sent or received (a new one means: reload keys) */
  keyEpoch: number | undefined;
  trustOnFirstUse: boolean;
  /** the room is live and this person is in it (sending, receipts, presence) */
  active: boolean;
  /** the history may be loaded (in the consult, or the doctor after it) */
  readable: boolean;
  /** the event stream is open (a reconnect means: flush the outbox now) */
  streamOpen: boolean;
  setChainHead: (head: Omit<ChainHeadMessage, "type">) => void;
  consultLabel: string;
};

export type ChatSendBlock = "no-identity" | "handshaking" | "unverified" | "mismatch" | "key-changed" | "no-key" | "inactive";

export function useChat(o: UseChatOptions) {
  const { consultId, userId, identity, events } = o;
  const deviceId = identity?.deviceId;
  const log = useMemo(() => (deviceId ? new ChatLog(deviceId) : undefined), [deviceId]);
  const [items, setItems] = useState<ChatItem[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [notice, setNotice] = useState<string>();
  const [peerTyping, setPeerTyping] = useState(false);
  const [peerPresence, setPeerPresence] = useState<PeerPresence>();
  const [keys, setKeys] = useState<StoredConsultKey[]>([]);
  const [pinVerified, setPinVerified] = useState(false);
  const keysRef = useRef(new Map<string, StoredConsultKey>());
  /** pins by person, read once per verification state (opening a message must not hit IndexedDB each time) */
  const pins = useRef(new Map<string, Promise<Pin | undefined>>());
  const queue = useRef<Promise<void>>(Promise.resolve());
  const receiptsSent = useRef(new Map<string, { delivered: number; read: number }>());
  const opts = useRef(o);
  useEffect(() => {
    opts.current = o;
  });

  const render = useCallback(() => {
    if (log) setItems(log.items());
  }, [log]);

  /** Runs chat work strictly one after another (chains are order-sensitive). */
  const serial = useCallback((fn: () => Promise<void>) => {
    queue.current = queue.current.then(fn).catch((err: unknown) => console.warn("[parley] chat:", err));
    return queue.current;
  }, []);

  // ---- keys ----
  const loadKeys = useCallback(async () => {
    const held = await consultKeysOf(userId, consultId);
    keysRef.current = new Map(held.map((k) => [toHex(k.keyId), k]));
    setKeys(held);
    return held;
  }, [userId, consultId]);

  // ---- opening ----
  const openStored = useCallback(
    async (m: StoredMessage) => {
      if (!log || !identity?.deviceId) return;
      const meta: MessageMeta = { id: m.id, senderDeviceId: m.senderDeviceId, senderUserId: m.senderUserId, seq: m.seq, storedAt: Date.parse(m.createdAt) || Date.now() };
      const key = keysRef.current.get(toHex(fromBase64Url(m.keyId)));
      if (!key) {
        log.addUnverifiable(meta, NO_KEY);
        return;
      }
      let spki: Uint8Array;
      let verified: boolean;
      if (m.senderDeviceId === identity.deviceId) {
        spki = identity.spki;
        verified = true;
      } else {
        let cached = pins.current.get(m.senderUserId);
        if (!cached) {
          cached = pinOf(userId, m.senderUserId);
          pins.current.set(m.senderUserId, cached);
        }
        const pin = await cached;
        if (!pin || !equal(pin.spki, fromBase64Url(m.senderIdentityKey))) {
          log.addUnverifiable(meta, WRONG_KEY);
          return;
        }
        spki = pin.spki;
        verified = pin.verified;
      }
      let opened: { message: ChatMessage; p: Uint8Array };
      try {
        opened = await openMessage(
          key.key,
          fromBase64Url(m.iv),
          fromBase64Url(m.ciphertext),
          { consultId: uuidBytes(consultId), keyId: fromBase64Url(m.keyId), senderDeviceId: uuidBytes(m.senderDeviceId), messageId: uuidBytes(m.id), seq: BigInt(m.seq) },
          spki,
        );
      } catch {
        log.addUnverifiable(meta, UNVERIFIABLE);
        return;
      }
      let shown: ShownMessage;
      try {
        shown = shownMessage(opened.message);
      } catch {
        log.addUnverifiable(meta, UNVERIFIABLE);
        return;
      }
      await log.addOpened(meta, opened.message, opened.p, shown.body, verified, shown.file);
      if (m.senderDeviceId === identity.deviceId) {
        const head = await log.head(identity.deviceId);
        if (head) opts.current.setChainHead({ deviceId: identity.deviceId, seq: head.seq, hash: toBase64Url(head.hash) });
      }
    },
    [log, identity, userId, consultId],
  );

  // ---- receipts ----
  // Coalesced: a burst of messages is acknowledged by one receipt for its last seq.
  const receiptTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const sendReceiptsNow = useCallback(() => {
    if (!log || !opts.current.active) return;
    const visible = typeof document === "undefined" || document.visibilityState === "visible";
    for (const sender of log.senders()) {
      const upTo = log.contiguous(sender);
      if (upTo < 0) continue;
      const sent = receiptsSent.current.get(sender) ?? { delivered: -1, read: -1 };
      const state = visible && upTo > sent.read ? "read" : upTo > sent.delivered ? "delivered" : undefined;
      if (!state) continue;
      receiptsSent.current.set(sender, { delivered: Math.max(sent.delivered, upTo), read: state === "read" ? upTo : sent.read });
      void chatActions.receipt(consultId, { senderDeviceId: sender, seq: upTo, state }).catch(() => {
        receiptsSent.current.set(sender, sent); // try again with the next change
      });
    }
  }, [log, consultId]);
  const sendReceipts = useCallback(() => {
    if (receiptTimer.current !== undefined) return;
    receiptTimer.current = setTimeout(() => {
      receiptTimer.current = undefined;
      sendReceiptsNow();
    }, RECEIPT_DELAY_MS);
  }, [sendReceiptsNow]);

  // ---- the outbox ----
  const flushRef = useRef<() => Promise<void>>(() => Promise.resolve());
  const flushing = useRef(false);
  /** a flush was asked for while one ran: it may not have seen the newest entries, so run again */
  const flushAgain = useRef(false);
  const retryTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const backoff = useRef(1_000);
  const flush = useCallback(async () => {
    if (!log) return;
    if (flushing.current) {
      flushAgain.current = true;
      return;
    }
    flushing.current = true;
    flushAgain.current = false;
    clearTimeout(retryTimer.current);
    let waiting = false;
    try {
      for (const entry of await outboxOf(userId, consultId)) {
        if (entry.failed) continue;
        try {
          await chatActions.post(consultId, entry.body);
          await removeFromOutbox(entry.id);
          log.markSent(entry.id);
          backoff.current = 1_000;
        } catch (err) {
          const status = err instanceof ClientApiError ? err.status : 0;
          if (status === 0 || status === 408 || status === 429 || status >= 500) {
            // Offline or the server is busy: the same bytes go again later (or when back online).
            retryTimer.current = setTimeout(() => void flushRef.current(), backoff.current);
            backoff.current = Math.min(backoff.current * 2, 8_000);
            waiting = true;
            break;
          }
          const why = err instanceof Error ? err.message : "The server refused this message.";
          await setOutboxFailure(entry.id, why);
          log.markFailed(entry.id, why);
        }
        render();
      }
    } finally {
      flushing.current = false;
      render();
    }
    if (flushAgain.current && !waiting) void flushRef.current();
  }, [log, userId, consultId, render]);
  useEffect(() => {
    flushRef.current = flush;
  }, [flush]);

  const showOutbox = useCallback(
    async (entries: OutboxEntry[]) => {
      if (!log || !identity?.deviceId) return;
      for (const e of entries) {
        if (log.has(e.id)) continue;
        const key = keysRef.current.get(toHex(fromBase64Url(e.body.keyId)));
        if (!key) continue;
        try {
          const { message } = await openMessage(
            key.key,
            fromBase64Url(e.body.iv),
            fromBase64Url(e.body.ciphertext),
            { consultId: uuidBytes(consultId), keyId: fromBase64Url(e.body.keyId), senderDeviceId: uuidBytes(identity.deviceId), messageId: uuidBytes(e.id), seq: BigInt(e.seq) },
            identity.spki,
          );
          const shown = shownMessage(message);
          log.addPending({ id: e.id, senderDeviceId: identity.deviceId, senderUserId: userId, seq: e.seq, storedAt: e.createdAt }, shown.body, Number(message.sentAt), e.failed, shown.file);
        } catch {
          // not ours to show (sealed by an identity this profile no longer has)
        }
      }
    },
    [log, identity, userId, consultId],
  );

  // ---- (re)entry: keys, history, outbox ----
  const loadHistory = useCallback(
    () =>
      serial(async () => {
        if (!log) return;
        await loadKeys();
        const { messages } = await chatActions.list(consultId);
        const retry = new Set(log.retryable().map((r) => r.id));
        for (const m of messages) {
          if (log.has(m.id) && !retry.has(m.id)) continue;
          log.forget(m.id);
          await openStored(m);
        }
        await showOutbox(await outboxOf(userId, consultId));
        setLoaded(true);
        render();
        sendReceipts();
      }),
    [serial, log, loadKeys, consultId, openStored, showOutbox, userId, render, sendReceipts],
  );

  useEffect(() => {
    if (!log || !o.readable) return;
    void loadHistory().then(() => (opts.current.active ? flushRef.current() : undefined));
  }, [log, o.readable, o.active, loadHistory]);

  // A new key epoch arrived in the call: messages sealed under it can be opened now.
  useEffect(() => {
    if (o.keyEpoch === undefined || !log) return;
    void serial(async () => {
      await loadKeys();
    }).then(() => (log.retryable().length > 0 ? loadHistory() : undefined));
  }, [o.keyEpoch, log, serial, loadKeys, loadHistory]);

  // Back online or the stream reconnected: whatever is in the outbox goes now.
  useEffect(() => {
    if (o.streamOpen && log) void flushRef.current();
  }, [o.streamOpen, log]);
  useEffect(() => {
    const online = () => void flushRef.current();
    window.addEventListener("online", online);
    return () => {
      window.removeEventListener("online", online);
      clearTimeout(retryTimer.current);
    };
  }, []);

  // ---- events from the stream ----
  const typingTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => {
    if (!log) return;
    return events.listen((e: StreamEvent) => {
      const me = opts.current.myParticipantId;
      if (e.kind === "message" && e.type === "new") {
        const m = storedMessage.safeParse(e.payload);
        if (!m.success) return;
        if (e.from === opts.current.other?.id) setPeerTyping(false);
        void serial(async () => {
          await openStored(m.data);
          render();
          sendReceipts();
        });
      } else if (e.kind === "message" && e.type === "receipt" && e.from !== me) {
        const r = messageReceiptBody.safeParse(e.payload);
        if (!r.success || r.data.senderDeviceId !== deviceId) return;
        log.applyReceipt(r.data.seq, r.data.state);
        render();
      } else if (e.kind === "message" && e.type === "deleted") {
        void serial(() => {
          log.clear();
          setNotice(e.from === me ? "You deleted this consult's messages from the server." : "The doctor deleted this consult's messages from the server.");
          render();
          return Promise.resolve();
        });
      } else if (e.kind === "presence" && e.from !== me && e.from === opts.current.other?.id) {
        if (e.type === "offline") {
          setPeerPresence("offline");
          setPeerTyping(false);
          return;
        }
        setPeerPresence(e.type === "away" ? "away" : "online");
        const typing = z.object({ typing: z.boolean() }).safeParse(e.payload);
        const on = typing.success && typing.data.typing;
        setPeerTyping(on);
        clearTimeout(typingTimer.current);
        if (on) typingTimer.current = setTimeout(() => setPeerTyping(false), TYPING_SHOWN_MS);
        // The other side (re)opened the room: it hears our receipts again.
        if (e.type === "online" && !typing.success) {
          receiptsSent.current.clear();
          sendReceipts();
        }
      }
    });
  }, [events, log, deviceId, serial, openStored, render, sendReceipts]);

  // Receipts turn "read" when the page is shown; the other side sees us as away when it is hidden.
  useEffect(() => {
    const onVisibility = () => {
      sendReceipts();
      if (opts.current.active) void chatActions.presence(consultId, { status: document.visibilityState === "visible" ? "online" : "away", typing: false }).catch(() => undefined);
    };
    document.addEventListener("visibilitychange", onVisibility);
    return () => document.removeEventListener("visibilitychange", onVisibility);
  }, [consultId, sendReceipts]);

  // ---- chain heads from the peer (over the verified data channel) ----
  const onChainHead = useCallback(
    (h: ChainHeadMessage) => {
      if (!log) return;
      const userOf = opts.current.other?.userId ?? "";
      const claim = async () => {
        let hash: Uint8Array;
        try {
          hash = fromBase64Url(h.hash);
        } catch {
          return;
        }
        await log.setClaimedHead(h.deviceId, userOf, h.seq, hash, Date.now());
        render();
      };
      // Give the stream a moment: the head often outruns the message it counts.
      setTimeout(() => {
        void (log.contiguous(h.deviceId) >= h.seq ? serial(claim) : loadHistory().then(() => serial(claim)));
      }, HEAD_GRACE_MS);
    },
    [log, render, serial, loadHistory],
  );

  // ---- who may send (PROTOCOL §3) ----
  const otherUserId = o.other?.userId;
  useEffect(() => {
    let cancelled = false;
    pins.current.clear(); // a pin may have been made or verified with this state
    if (!otherUserId) return;
    void pinOf(userId, otherUserId).then((pin) => {
      if (!cancelled) setPinVerified(!!pin?.verified);
    });
    return () => {
      cancelled = true;
    };
  }, [userId, otherUserId, o.e2ee]);

  const current = keys[0];
  const verifiedNow = o.e2ee === "verified" || (pinVerified && o.e2ee !== "mismatch" && o.e2ee !== "key-changed");
  const tofu = o.trustOnFirstUse && !verifiedNow && o.e2ee !== "mismatch" && o.e2ee !== "key-changed";
  const block: ChatSendBlock | undefined = !identity?.deviceId
    ? "no-identity"
    : !o.active
      ? "inactive"
      : o.e2ee === "mismatch" || o.e2ee === "key-changed"
        ? o.e2ee
        : !verifiedNow && !tofu
          ? o.e2ee === "handshaking"
            ? "handshaking"
            : "unverified"
          : !current
            ? "no-key"
            : undefined;

  // ---- actions ----
  const lastTyping = useRef(0);
  const idleTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  /** Seals a message into the outbox, shows it as "sending" and posts it; false when sending is not allowed. */
  const sendSealed = useCallback(
    async (kind: MessageKind, body: Uint8Array<ArrayBuffer>, shown: ShownMessage) => {
      if (!log || !identity?.deviceId || !current || block) return false;
      const entry = await sealIntoOutbox({ userId, consultId, deviceId: identity.deviceId, identityKey: identity.privateKey, key: current, kind, body });
      await serial(() => {
        log.addPending({ id: entry.id, senderDeviceId: identity.deviceId ?? "", senderUserId: userId, seq: entry.seq, storedAt: entry.createdAt }, shown.body, entry.createdAt, undefined, shown.file);
        render();
        return Promise.resolve();
      });
      void flushRef.current();
      return true;
    },
    [log, identity, current, block, userId, consultId, serial, render],
  );

  const send = useCallback(
    async (text: string) => {
      const body = text.trim();
      if (!body || !(await sendSealed("text", utf8(body), { body }))) return false;
      // The message itself ends "typing…" on the other side: no separate request.
      lastTyping.current = 0;
      clearTimeout(idleTimer.current);
      return true;
    },
    [sendSealed],
  );

  /** Announces an uploaded document to the consult (PROTOCOL §5): a sealed message of kind `file`. */
  const sendFile = useCallback(
    (notice: FileNotice) => {
      const body = encodeFileNotice(notice);
      return sendSealed("file", body, shownMessage({ kind: "file", body }));
    },
    [sendSealed],
  );

  const retry = useCallback(
    async (id: string) => {
      if (!log) return;
      await setOutboxFailure(id, undefined);
      log.markSending(id);
      render();
      void flushRef.current();
    },
    [log, render],
  );

  const noteTyping = useCallback(() => {
    if (block) return;
    const now = Date.now();
    clearTimeout(idleTimer.current);
    idleTimer.current = setTimeout(() => {
      lastTyping.current = 0;
      void chatActions.presence(consultId, { status: "online", typing: false }).catch(() => undefined);
    }, TYPING_IDLE_MS);
    if (now - lastTyping.current < TYPING_EVERY_MS) return;
    lastTyping.current = now;
    void chatActions.presence(consultId, { status: "online", typing: true }).catch(() => undefined);
  }, [block, consultId]);

  const exportTranscript = useCallback(() => {
    if (!log) return;
    const text = transcript({
      consultId,
      consultLabel: opts.current.consultLabel,
      items: log.items(),
      people: opts.current.people,
      exportedAt: new Date(),
      exportedBy: opts.current.people.find((p) => p.userId === userId)?.name ?? "this device",
      verification: opts.current.e2ee === "verified" || pinVerified ? "verified" : "not-verified",
      brokenLinks: log.brokenLinks().length,
    });
    const url = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = `parley-consult-${consultId.slice(0, 8)}-transcript.txt`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }, [log, consultId, userId, pinVerified]);

  const eraseFromDevice = useCallback(async () => {
    await serial(async () => {
      await eraseConsultFromDevice(userId, consultId);
      keysRef.current = new Map();
      setKeys([]);
      log?.clear();
      render();
    });
  }, [serial, userId, consultId, log, render]);

  const deleteOnServer = useCallback(async () => {
    try {
      await chatActions.deleteAll(consultId);
      // The stream says so too (to everyone in the room); after the consult there is no stream.
      await serial(() => {
        log?.clear();
        setNotice("You deleted this consult's messages from the server.");
        render();
        return Promise.resolve();
      });
      return undefined;
    } catch (err) {
      return err instanceof Error ? err.message : "The messages could not be deleted. Try again.";
    }
  }, [consultId, serial, log, render]);

  return {
    items,
    loaded,
    notice,
    block,
    /** sending is allowed only on trust on first use: the room says "not verified" */
    notVerified: !block && tofu,
    peerTyping,
    peerPresence,
    brokenLinks: log?.brokenLinks().length ?? 0,
    send,
    sendFile,
    retry,
    noteTyping,
    exportTranscript,
    eraseFromDevice,
    deleteOnServer,
    onChainHead,
  };
}

/** What the chat panel renders and calls (components/room/chat-panel.tsx). */
export type ChatView = ReturnType<typeof useChat>;
