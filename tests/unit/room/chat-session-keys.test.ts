// Issue 20, items 1 and 2, in the chat (lib/client/chat/chat-session.ts over ./chat-harness.ts):
// what was sealed under a key sent on trust is never shown as verified; a verified device holding
// only such a key waits for the new epoch before it sends; and a verified pin of one counterpart
// never lets the chat send to the next.
import { describe, expect, it } from "vitest";
import { newConsultKey, toBase64Url } from "@/lib/crypto";
import { ChatWorld } from "./chat-harness";

describe("a provisional key (sent on trust before the codes were compared)", () => {
  async function onTrust() {
    const w = await ChatWorld.create({ e2ee: "unverified", trustOnFirstUse: true, pinsVerified: false });
    // Both devices' epoch 1 went out on trust.
    const k = newConsultKey(1);
    await w.doctor.store.addKey(w.doctor.member.userId, w.consultId, k, true, true);
    await w.patient.store.addKey(w.patient.member.userId, w.consultId, k, false, true);
    for (const d of [w.doctor, w.patient]) d.update({ keyEpoch: 1 });
    await w.settle();
    return w;
  }

  it("what is written under it is shown as sent before the comparison, never as verified, even after it", async () => {
    const w = await onTrust();
    expect(await w.patient.chat.send("on trust")).toBe(true);
    await w.settle();
    const seen = w.doctor.find("on trust");
    expect(seen).toMatchObject({ provisional: true, senderVerified: false });
    for (const d of [w.doctor, w.patient]) d.update({ e2ee: "verified" });
    await w.settle();
    expect(w.doctor.find("on trust")).toMatchObject({ provisional: true, senderVerified: false });
  });

  it("once verified, sending waits for the new epoch that replaces it, then goes under that epoch", async () => {
    const w = await onTrust();
    w.patient.update({ e2ee: "verified" });
    await w.settle();
    expect(w.patient.state.block).toBe("new-key");
    expect(await w.patient.chat.send("too early")).toBe(false);
    const next = await w.rotate(2, w.patient);
    w.patient.update({ keyEpoch: 2 });
    await w.settle();
    expect(w.patient.state.block).toBeUndefined();
    expect(await w.patient.chat.send("under the new epoch")).toBe(true);
    await w.settle();
    expect(w.server.messages).toHaveLength(1);
    expect(w.server.messages[0]?.keyId).toBe(toBase64Url(next.keyId));
  });
});

describe("a counterpart verified in an earlier call", () => {
  it("lets the chat send to that person, and not to the next one before their pin is read", async () => {
    const w = await ChatWorld.create({ e2ee: "unverified", pinsVerified: true });
    expect(w.doctor.state.block).toBeUndefined(); // the pair was compared before
    w.doctor.update({ other: { id: crypto.randomUUID(), userId: crypto.randomUUID(), online: true } });
    // At once, not only once the (asynchronous) pin read comes back.
    expect(w.doctor.state.block).toBe("unverified");
    await w.settle();
    expect(w.doctor.state.block).toBe("unverified");
  });
});
