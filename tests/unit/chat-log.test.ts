// The chat as a receiving device shows it (lib/client/chat/chat-log.ts): each message once, each
// sender's messages in seq order whatever the arrival order, a missing seq shown as a gap (and
// filled when it arrives), a chain head beyond what the server delivered shown as withheld,
// unverifiable messages kept in place, own messages from "sending" to "read", and the transcript.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { chainHash, encodeMessage, randomBytes, utf8, uuidBytes, ZERO_HASH, type ChatMessage } from "@/lib/crypto";
import { ChatLog, type ChatItem, type MessageMeta } from "@/lib/client/chat/chat-log";
import { transcript } from "@/lib/client/chat/transcript";

const consultId = randomUUID();
const keyId = randomBytes(16);
const me = randomUUID();
const doctorDevice = randomUUID();
const doctorUser = randomUUID();
const myUser = randomUUID();

type Sent = { meta: MessageMeta; m: ChatMessage; p: Uint8Array; body: string };

/** A sender device's chain of `n` messages, as its P bytes chain them. */
async function chain(device: string, user: string, n: number, t0 = 1_700_000_000_000): Promise<Sent[]> {
  const out: Sent[] = [];
  let prev = ZERO_HASH();
  for (let i = 0; i < n; i++) {
    const id = randomUUID();
    const body = `${device.slice(0, 4)} message ${i}`;
    const m: ChatMessage = {
      kind: "text",
      consultId: uuidBytes(consultId),
      keyId,
      senderDeviceId: uuidBytes(device),
      messageId: uuidBytes(id),
      seq: BigInt(i),
      prevHash: prev,
      sentAt: BigInt(t0 + i * 1000),
      body: utf8(body),
    };
    const p = encodeMessage(m);
    out.push({ meta: { id, senderDeviceId: device, senderUserId: user, seq: i, storedAt: t0 + i * 1000 + 50 }, m, p, body });
    prev = await chainHash(p);
  }
  return out;
}

const add = (log: ChatLog, s: Sent) => log.addOpened(s.meta, s.m, s.p, s.body, true);
const texts = (items: ChatItem[]) => items.map((i) => (i.type === "message" ? (i.body ?? `[${i.state}]`) : `[gap ${i.from}-${i.to}${i.withheld ? " withheld" : ""}]`));
const nth = <T>(list: T[], i: number): T => {
  const v = list[i];
  if (v === undefined) throw new Error(`no item ${i}`);
  return v;
};

describe("receiving", () => {
  it("shows each message once: a replayed or duplicated delivery changes nothing", async () => {
    const log = new ChatLog(me);
    const msgs = await chain(doctorDevice, doctorUser, 3);
    for (const s of msgs) expect(await add(log, s)).toBe(true);
    for (const s of msgs) expect(await add(log, s)).toBe(false);
    expect(texts(log.items())).toEqual(msgs.map((s) => s.body));
  });

  it("orders by seq whatever the arrival order, and shows a gap until the missing message arrives", async () => {
    const log = new ChatLog(me);
    const msgs = await chain(doctorDevice, doctorUser, 4);
    await add(log, nth(msgs, 3));
    await add(log, nth(msgs, 0));
    expect(texts(log.items())).toEqual([nth(msgs, 0).body, "[gap 1-2]", nth(msgs, 3).body]);
    expect(log.items().find((i) => i.type === "gap")).toMatchObject({ from: 1, to: 2, withheld: false });
    expect(log.contiguous(doctorDevice)).toBe(0);
    await add(log, nth(msgs, 2));
    await add(log, nth(msgs, 1));
    expect(texts(log.items())).toEqual(msgs.map((s) => s.body));
    expect(log.contiguous(doctorDevice)).toBe(3);
  });

  it("a chain head beyond what the server delivered shows the rest as withheld", async () => {
    const log = new ChatLog(me);
    const msgs = await chain(doctorDevice, doctorUser, 5);
    for (const s of msgs.slice(0, 3)) await add(log, s);
    await log.setClaimedHead(doctorDevice, doctorUser, 4, await chainHash(nth(msgs, 4).p), Date.now());
    expect(log.items().filter((i) => i.type === "gap")).toEqual([expect.objectContaining({ from: 3, to: 4, withheld: true })]);
    // once delivered, nothing is missing
    await add(log, nth(msgs, 3));
    await add(log, nth(msgs, 4));
    expect(log.items().filter((i) => i.type === "gap")).toEqual([]);
    expect(log.brokenLinks()).toEqual([]);
  });

  it("a chain head whose hash differs from the message held at that seq marks the history broken", async () => {
    const log = new ChatLog(me);
    const msgs = await chain(doctorDevice, doctorUser, 2);
    for (const s of msgs) await add(log, s);
    await log.setClaimedHead(doctorDevice, doctorUser, 1, randomBytes(32), Date.now());
    expect(log.brokenLinks()).toEqual([{ deviceId: doctorDevice, seq: 1 }]);
  });

  it("a message replaced by the server (another P at a seq, or a link that does not chain) is marked, not hidden", async () => {
    const log = new ChatLog(me);
    const real = await chain(doctorDevice, doctorUser, 3);
    const forged = await chain(doctorDevice, doctorUser, 3, 1_800_000_000_000); // another history
    await add(log, nth(real, 0));
    await add(log, nth(real, 1));
    await add(log, nth(forged, 2)); // does not chain to real[1]
    expect(log.brokenLinks()).toEqual([{ deviceId: doctorDevice, seq: 2 }]);
    expect(texts(log.items())).toContain(nth(forged, 2).body);
  });

  it("an unverifiable message keeps its place: shown as such, counted as present, never dropped", async () => {
    const log = new ChatLog(me);
    const msgs = await chain(doctorDevice, doctorUser, 3);
    await add(log, nth(msgs, 0));
    expect(log.addUnverifiable(nth(msgs, 1).meta, "altered")).toBe(true);
    await add(log, nth(msgs, 2));
    const items = log.items();
    expect(texts(items)).toEqual([nth(msgs, 0).body, "[unverifiable]", nth(msgs, 2).body]);
    expect(items.filter((i) => i.type === "gap")).toEqual([]);
    expect(nth(items, 1)).toMatchObject({ type: "message", state: "unverifiable", problem: "altered" });
  });

  it("search finds decrypted text on the device, case-insensitively", async () => {
    const log = new ChatLog(me);
    for (const s of await chain(doctorDevice, doctorUser, 3)) await add(log, s);
    expect(log.search("MESSAGE 1").map((i) => i.seq)).toEqual([1]);
    expect(log.search("nothing like this")).toEqual([]);
    expect(log.search("  ")).toEqual([]);
  });
});

describe("this device's own messages", () => {
  it("go sending → sent (stored) → delivered → read, and a refused one is failed until retried", async () => {
    const log = new ChatLog(me);
    const [a, b] = await chain(me, myUser, 2);
    if (!a || !b) throw new Error("no messages");
    log.addPending(a.meta, a.body, 1);
    log.addPending(b.meta, b.body, 2);
    const state = (id: string) => {
      const item = log.items().find((i) => i.id === id);
      return item?.type === "message" ? item.state : undefined;
    };
    expect(state(a.meta.id)).toBe("sending");
    // the server's copy comes back over the stream: shown once, now "sent"
    await add(log, a);
    expect(log.items()).toHaveLength(2);
    expect(state(a.meta.id)).toBe("sent");
    log.applyReceipt(0, "delivered");
    expect(state(a.meta.id)).toBe("delivered");
    expect(state(b.meta.id)).toBe("sending");
    log.markFailed(b.meta.id, "The consult has ended.");
    expect(state(b.meta.id)).toBe("failed");
    log.markSending(b.meta.id);
    log.markSent(b.meta.id);
    log.applyReceipt(1, "read");
    expect(state(a.meta.id)).toBe("read");
    expect(state(b.meta.id)).toBe("read");
    // receipts never go backwards
    log.applyReceipt(0, "delivered");
    expect(state(a.meta.id)).toBe("read");
  });
});

describe("what the screen re-renders", () => {
  it("keeps the identity of every item that did not change, so a new message re-renders only itself", async () => {
    const log = new ChatLog(me);
    const msgs = await chain(doctorDevice, doctorUser, 4);
    for (const s of msgs.slice(0, 3)) await add(log, s);
    const before = log.items();
    await add(log, nth(msgs, 3));
    const after = log.items();
    expect(after).toHaveLength(4);
    for (let i = 0; i < 3; i++) expect(nth(after, i)).toBe(nth(before, i));
    // a receipt changes the items it moves on, and only those
    const [mine] = await chain(me, myUser, 1);
    if (!mine) throw new Error("no message");
    await add(log, mine);
    const withMine = log.items();
    log.applyReceipt(0, "read");
    const read = log.items();
    for (const item of read) {
      if (item.id === mine.meta.id) expect(item).not.toBe(withMine.find((i) => i.id === item.id));
      else expect(item).toBe(withMine.find((i) => i.id === item.id));
    }
  });

  it("shows a message sent before sealing after this device's other messages, without a seq, then with its seq, as the same message", async () => {
    const log = new ChatLog(me);
    const [first] = await chain(me, myUser, 1, 5_000);
    if (!first) throw new Error("no message");
    log.addPending(first.meta, first.body, 5_000);
    const id = randomUUID();
    // this device's clock went back meanwhile: the unsealed message still follows its sealed one
    log.addSending({ id, senderDeviceId: me, senderUserId: myUser }, "typed just now", 1_000);
    expect(texts(log.items())).toEqual([first.body, "typed just now"]);
    expect(log.contiguous(me)).toBe(0);
    log.sequenced(id, 1, 1_000);
    expect(texts(log.items())).toEqual([first.body, "typed just now"]);
    expect(log.items().find((i) => i.id === id)).toMatchObject({ type: "message", seq: 1, state: "sending", mine: true });
    expect(log.contiguous(me)).toBe(1);
    log.markSent(id);
    expect(log.items().filter((i) => i.id === id)).toEqual([expect.objectContaining({ state: "sent" })]);
  });

  it("takes an unsealed message off the screen when sealing fails, and never a sealed one", () => {
    const log = new ChatLog(me);
    const [a, b] = [randomUUID(), randomUUID()];
    log.addSending({ id: a, senderDeviceId: me, senderUserId: myUser }, "a", 1);
    log.addSending({ id: b, senderDeviceId: me, senderUserId: myUser }, "b", 2);
    log.sequenced(b, 0, 2);
    log.drop(a);
    log.drop(b);
    expect(texts(log.items())).toEqual(["b"]);
  });
});

describe("the transcript", () => {
  it("has the consult, the verification state, every message with time and sender, and gaps and unverifiable messages as such", async () => {
    const log = new ChatLog(me);
    const msgs = await chain(doctorDevice, doctorUser, 4);
    await add(log, nth(msgs, 0));
    log.addUnverifiable(nth(msgs, 1).meta, "altered on the server");
    await add(log, nth(msgs, 3));
    const text = transcript({
      consultId,
      consultLabel: "with Dr. Demo",
      items: log.items(),
      people: [{ userId: doctorUser, name: "Dr. Demo", role: "doctor" }],
      exportedAt: new Date(Date.UTC(2026, 10, 22, 12, 0, 0)),
      exportedBy: "Pat",
      verification: "verified",
      brokenLinks: 0,
    });
    expect(text).toContain(consultId);
    expect(text).toContain("Exported: 2026-11-22 12:00:00 UTC by Pat");
    expect(text).toContain("End-to-end encryption: verified");
    expect(text).toContain(`2023-11-14 22:13:20 UTC  Dr. Demo (doctor): ${nth(msgs, 0).body}`);
    expect(text).toContain("[could not be verified — altered on the server]");
    expect(text).toContain("[1 message(s) from Dr. Demo (doctor) are missing (numbers 2–2)]");
    expect(text).toContain(nth(msgs, 3).body);
    expect(text.indexOf(nth(msgs, 0).body)).toBeLessThan(text.indexOf(nth(msgs, 3).body));
  });
});
