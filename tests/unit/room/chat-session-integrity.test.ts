// What the chat shows when the server (or the key schedule) does not play along (PROTOCOL §4):
// an altered message is "could not be verified", never text; a message under a key this device
// lacks waits for the key; the peer's chain head, compared after a grace period, shows messages
// the server withheld — and nothing when they arrive in time.
import { describe, expect, it } from "vitest";
import { generateSigningKey, randomBytes, toBase64Url } from "@/lib/crypto";
import { NO_KEY, type ChatGapItem } from "@/lib/client/chat/chat-log";
import { ChatWorld, type Device } from "./chat-harness";

const gaps = (d: Device) => d.state.items.filter((i): i is ChatGapItem => i.type === "gap");

/** Hands the patient's chat the doctor's newest chain head, as the call's data channel does. */
function headToPatient(w: ChatWorld): void {
  const head = w.doctor.heads.at(-1);
  if (!head) throw new Error("the doctor announced no chain head");
  w.patient.chat.peerChainHead({ type: "chain-head", ...head });
}

describe("messages that do not open", () => {
  it("shows a stored message with a flipped ciphertext byte as unverifiable, never as text", async () => {
    const w = await ChatWorld.create();
    await w.doctor.chat.send("before");
    await w.settle();
    w.server.corruptNextMessage();
    await w.doctor.chat.send("Your dose is 5 mg");
    await w.doctor.chat.send("after");
    await w.settle();
    const [, altered, after] = w.patient.messages();
    expect(altered).toMatchObject({ state: "unverifiable", seq: 1, mine: false });
    expect(altered?.body).toBeUndefined();
    expect(altered?.problem).toMatch(/could not be verified/);
    expect(JSON.stringify(w.patient.state)).not.toContain("5 mg");
    expect(after).toMatchObject({ body: "after", state: "delivered" });

    // reloading the page does not make it readable either
    w.patient.chat.dispose();
    w.patient.open(w.inputFor(w.patient));
    await w.settle();
    expect(w.patient.messages().map((m) => m.body ?? m.state)).toEqual(["before", "unverifiable", "after"]);
  });

  it("shows a message whose sender key differs from the pinned one as unverifiable", async () => {
    const w = await ChatWorld.create();
    const other = await generateSigningKey(); // another key pinned for the patient than the one the server names
    w.doctor.store.pin(w.doctor.member.userId, w.patient.member.userId, other.spki, true);
    await w.patient.chat.send("it is me");
    await w.settle();
    expect(w.doctor.messages()).toEqual([expect.objectContaining({ state: "unverifiable", senderVerified: false, problem: expect.stringMatching(/key this device does not know/) as unknown })]);
    expect(w.doctor.texts()).toEqual([undefined]);
  });

  it("shows a message under a key this device lacks as waiting for its key, and opens it once the new epoch arrives", async () => {
    const w = await ChatWorld.create();
    await w.doctor.chat.send("epoch 0");
    await w.settle();
    const epoch1 = await w.rotate(1); // the doctor removed someone: a new epoch, not yet on the patient's device
    w.doctor.update({ keyEpoch: 1 });
    await w.settle();
    await w.doctor.chat.send("epoch 1");
    await w.settle();
    expect(w.patient.messages().map((m) => [m.body, m.state, m.problem])).toEqual([
      ["epoch 0", "delivered", undefined],
      [undefined, "unverifiable", NO_KEY],
    ]);

    // the call delivers the key: it is stored, then the room reports the new epoch
    await w.patient.store.addKey(w.patient.member.userId, w.consultId, epoch1, false);
    w.patient.update({ keyEpoch: 1 });
    await w.settle();
    expect(w.patient.messages().map((m) => [m.body, m.state])).toEqual([
      ["epoch 0", "delivered"],
      ["epoch 1", "delivered"],
    ]);
    expect(gaps(w.patient)).toEqual([]);
    expect(w.patient.state.brokenLinks).toBe(0);
  });
});

describe("chain heads", () => {
  it("shows messages the server withheld as sent but never delivered, after the grace period", async () => {
    const w = await ChatWorld.create();
    await w.doctor.chat.send("delivered");
    await w.settle();
    w.server.withholdFrom(w.patient.member.participantId);
    await w.doctor.chat.send("withheld 1");
    await w.doctor.chat.send("withheld 2");
    await w.settle();
    expect(w.doctor.heads.at(-1)?.seq).toBe(2);
    const lists = w.patient.sent("list").length;

    headToPatient(w);
    await w.advance(2_950);
    expect(gaps(w.patient)).toEqual([]);
    await w.advance(50);
    expect(w.patient.sent("list")).toHaveLength(lists + 1); // it asked the server again first
    expect(gaps(w.patient)).toEqual([expect.objectContaining({ from: 1, to: 2, withheld: true, senderDeviceId: w.doctor.deviceId })]);
    expect(w.patient.texts()).toEqual(["delivered"]);

    w.patient.chat.exportTranscript();
    expect(w.patient.page.saved[0]?.text).toContain("2 message(s) from Dr. Dana Demo (doctor) were sent but never delivered by the server (numbers 1–2)");
  });

  it("shows no gap when the messages arrive on the stream within the grace period", async () => {
    const w = await ChatWorld.create();
    w.server.dropStream(w.patient.member.participantId);
    await w.doctor.chat.send("one");
    await w.doctor.chat.send("two");
    await w.settle();
    headToPatient(w); // the head outruns the stream
    await w.advance(1_000);
    w.server.reopenStream(w.patient.member.participantId);
    await w.advance(5_000);
    expect(w.patient.texts()).toEqual(["one", "two"]);
    expect(gaps(w.patient)).toEqual([]);
  });

  it("fetches the history when the head is ahead of the stream, and shows what the server has without a gap", async () => {
    const w = await ChatWorld.create();
    w.server.dropStream(w.patient.member.participantId);
    await w.doctor.chat.send("one");
    await w.doctor.chat.send("two");
    await w.settle();
    headToPatient(w);
    await w.advance(3_000);
    expect(w.patient.texts()).toEqual(["one", "two"]);
    expect(gaps(w.patient)).toEqual([]);
    expect(w.patient.state.brokenLinks).toBe(0);
  });

  it("marks the history broken when the head's hash differs from the message held at its seq", async () => {
    const w = await ChatWorld.create();
    await w.doctor.chat.send("one");
    await w.settle();
    w.patient.chat.peerChainHead({ type: "chain-head", deviceId: w.doctor.deviceId, seq: 0, hash: toBase64Url(randomBytes(32)) });
    await w.advance(3_000);
    expect(w.patient.state.brokenLinks).toBe(1);
    expect(gaps(w.patient)).toEqual([]);
  });

  it("shows a message missing in the middle as a gap, filled when the history has it", async () => {
    const w = await ChatWorld.create();
    w.server.withholdFrom(w.patient.member.participantId);
    await w.doctor.chat.send("held back");
    await w.settle();
    w.server.release(w.patient.member.participantId); // in the list again; its event is gone
    await w.doctor.chat.send("next");
    await w.settle();
    expect(w.patient.texts()).toEqual(["next"]);
    expect(gaps(w.patient)).toEqual([expect.objectContaining({ from: 0, to: 0, withheld: false })]);

    headToPatient(w); // seq 1: nothing beyond what is held, but the grace still reads the history
    await w.advance(3_000);
    expect(gaps(w.patient)).toEqual([]);
    expect(w.patient.texts()).toEqual(["held back", "next"]);
  });
});
