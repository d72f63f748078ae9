// The chat as the doctor and the patient use it (lib/client/chat/chat-session.ts), two real sessions
// through the fake chat server: who may send (PROTOCOL §3), a message from "sending" to "read" and
// shown once on each side, and the outbox across a lost network, a busy or refusing server.
import { describe, expect, it, vi } from "vitest";
import { toBase64Url } from "@/lib/crypto";
import type { ChatState } from "@/lib/client/chat/chat-session";
import { ChatWorld, type Device, type WorldOptions } from "./chat-harness";

/** The states a message went through on a device, as it published them (repeats folded). */
function statesOf(d: Device, body: string, from = 0): string[] {
  const seen: string[] = [];
  for (const s of d.states.slice(from)) {
    const m = s.items.find((i) => i.type === "message" && i.body === body);
    const state = m?.type === "message" ? m.state : undefined;
    if (state && seen.at(-1) !== state) seen.push(state);
  }
  return seen;
}

/** How often the message ever showed at the same time (never more than once). */
const mostCopies = (d: Device, body: string) => Math.max(0, ...d.states.map((s: ChatState) => s.items.filter((i) => i.type === "message" && i.body === body).length));

describe("who may send", () => {
  it("blocks sending while the call is still handshaking, and allows it once the call is verified", async () => {
    const w = await ChatWorld.create({ e2ee: "handshaking", pinsVerified: false });
    expect(w.doctor.state.block).toBe("handshaking");
    expect(await w.doctor.chat.send("too early")).toBe(false);
    w.doctor.update({ e2ee: "unverified" });
    expect(w.doctor.state.block).toBe("unverified");
    expect(await w.doctor.chat.send("still too early")).toBe(false);
    await w.settle();
    expect(w.server.messages).toHaveLength(0);
    expect(w.doctor.messages()).toHaveLength(0);

    w.doctor.update({ e2ee: "verified" });
    expect(w.doctor.state.block).toBeUndefined();
    expect(w.doctor.state.notVerified).toBe(false);
    expect(await w.doctor.chat.send("now")).toBe(true);
    await w.settle();
    expect(w.patient.texts()).toEqual(["now"]);
  });

  it("on trust on first use sends before the codes are compared, marked not verified on both sides", async () => {
    const w = await ChatWorld.create({ e2ee: "unverified", trustOnFirstUse: true, pinsVerified: false });
    expect(w.doctor.state.block).toBeUndefined();
    expect(w.doctor.state.notVerified).toBe(true);
    expect(await w.doctor.chat.send("hello")).toBe(true);
    await w.settle();
    expect(w.patient.find("hello")).toMatchObject({ state: "delivered", senderVerified: false });
  });

  it.each(["mismatch", "key-changed"] as const)("blocks sending on %s, even on trust on first use with a key verified before", async (e2ee) => {
    const w = await ChatWorld.create({ e2ee, trustOnFirstUse: true, pinsVerified: true });
    expect(w.doctor.state.block).toBe(e2ee);
    expect(w.doctor.state.notVerified).toBe(false);
    expect(await w.doctor.chat.send("no")).toBe(false);
    w.doctor.chat.noteTyping();
    await w.settle();
    expect(w.doctor.sent("post")).toHaveLength(0);
    expect(w.doctor.sent("presence")).toHaveLength(0);
  });

  it("lets a person write to a counterpart verified in an earlier call while this call is still handshaking", async () => {
    const w = await ChatWorld.create({ e2ee: "handshaking", pinsVerified: true });
    expect(w.patient.state.block).toBeUndefined();
    expect(await w.patient.chat.send("hi again")).toBe(true);
    await w.settle();
    expect(w.doctor.find("hi again")).toMatchObject({ senderVerified: true });
  });

  it("does not send an empty message", async () => {
    const w = await ChatWorld.create();
    expect(await w.doctor.chat.send("  \n ")).toBe(false);
    await w.settle();
    expect(w.doctor.sent("post")).toHaveLength(0);
  });
});

describe("a message from sending to read", () => {
  it("shows once on the sender as sending then sent, once on the other side opened and verified, and read while its page is shown", async () => {
    const w = await ChatWorld.create();
    const from = w.doctor.states.length;
    expect(await w.doctor.chat.send("  How are you feeling today?  ")).toBe(true);
    await w.settle();
    expect(statesOf(w.doctor, "How are you feeling today?", from)).toEqual(["sending", "sent"]);
    expect(w.patient.messages()).toEqual([expect.objectContaining({ body: "How are you feeling today?", mine: false, state: "delivered", senderVerified: true, senderDeviceId: w.doctor.deviceId })]);

    await w.advance(150); // receipts are coalesced
    expect(w.doctor.find("How are you feeling today?")?.state).toBe("read");
    expect(statesOf(w.doctor, "How are you feeling today?", from)).toEqual(["sending", "sent", "read"]);
    expect(mostCopies(w.doctor, "How are you feeling today?")).toBe(1);
    expect(mostCopies(w.patient, "How are you feeling today?")).toBe(1);
    expect(w.patient.sent("receipt")).toEqual([{ senderDeviceId: w.doctor.deviceId, seq: 0, state: "read" }]);
  });

  it("is delivered, not read, while the other page is hidden, and read when it is shown again", async () => {
    const w = await ChatWorld.create();
    w.patient.page.shown = false;
    await w.doctor.chat.send("Results are in");
    await w.settle();
    await w.advance(150);
    expect(w.doctor.find("Results are in")?.state).toBe("delivered");

    w.patient.page.shown = true;
    w.patient.chat.visibilityChanged();
    await w.advance(150);
    expect(w.doctor.find("Results are in")?.state).toBe("read");
    expect(w.patient.sent("receipt")).toEqual([
      { senderDeviceId: w.doctor.deviceId, seq: 0, state: "delivered" },
      { senderDeviceId: w.doctor.deviceId, seq: 0, state: "read" },
    ]);
  });

  it("shows the history, in order, to a page that opens later", async () => {
    const w = await ChatWorld.create();
    for (const t of ["one", "two", "three"]) {
      await w.doctor.chat.send(t);
      await w.advance(1_000);
    }
    await w.patient.chat.send("four");
    await w.settle();
    w.patient.chat.dispose();
    w.patient.open(w.inputFor(w.patient));
    await w.settle();
    expect(w.patient.texts()).toEqual(["one", "two", "three", "four"]);
    expect(w.patient.find("four")).toMatchObject({ mine: true, state: "sent" });
  });

  it("loads the history once the server is reachable again when the page opened without it", async () => {
    const w = await ChatWorld.create();
    await w.doctor.chat.send("sent before the reload");
    await w.settle();
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    w.patient.chat.dispose();
    w.server.setOutage(w.patient.member.participantId, "network");
    w.patient.open({ ...w.inputFor(w.patient), streamOpen: false });
    await w.settle();
    w.patient.online(); // the stream reopens
    w.patient.chat.online(); // and the browser says it is back
    await w.advance(30_000);
    warn.mockRestore();
    expect(w.patient.state.loaded).toBe(true);
    expect(w.patient.texts()).toEqual(["sent before the reload"]);
  });

  it("exports a transcript with every message and the verification state", async () => {
    const w = await ChatWorld.create();
    await w.doctor.chat.send("Take one tablet a day");
    await w.settle();
    w.patient.chat.exportTranscript();
    const [file] = w.patient.page.saved;
    expect(file?.name).toBe(`parley-consult-${w.consultId.slice(0, 8)}-transcript.txt`);
    expect(file?.text).toContain("Dr. Dana Demo (doctor): Take one tablet a day");
    expect(file?.text).toContain("End-to-end encryption: verified");
  });
});

describe("shown at once", () => {
  it("shows the message as sending before anything is awaited, and the same item later turns sent", async () => {
    const w = await ChatWorld.create();
    const pending = w.doctor.chat.send("on screen now");
    // No await yet: this is the click's own task, before any IndexedDB, lock or WebCrypto work.
    const shown = w.doctor.find("on screen now");
    expect(shown).toMatchObject({ mine: true, state: "sending" });
    expect(w.server.messages).toHaveLength(0);
    expect(await pending).toBe(true);
    await w.settle();
    expect(w.doctor.messages()).toEqual([expect.objectContaining({ id: shown?.id, body: "on screen now", state: "sent", seq: 0 })]);
    expect(w.server.messages.map((m) => m.id)).toEqual([shown?.id]);
    expect(mostCopies(w.doctor, "on screen now")).toBe(1);
  });

  it("keeps one seq each and the typing order for 20 messages sent without waiting, each shown at once and delivered once, in order", async () => {
    const w = await ChatWorld.create();
    const texts = Array.from({ length: 20 }, (_, i) => `fast ${i}`);
    const sends = texts.map((t) => w.doctor.chat.send(t));
    expect(w.doctor.texts()).toEqual(texts);
    expect(await Promise.all(sends)).toEqual(texts.map(() => true));
    await w.settle();
    expect(w.server.messages.map((m) => m.seq)).toEqual(texts.map((_, i) => i));
    expect(w.patient.texts()).toEqual(texts);
    expect(w.doctor.messages().map((m) => [m.body, m.seq])).toEqual(texts.map((t, i) => [t, i]));
    expect(w.patient.messages().every((m) => m.state === "delivered" && m.senderVerified)).toBe(true);
    for (const t of texts) expect(mostCopies(w.patient, t)).toBe(1);
    for (const t of texts) expect(mostCopies(w.doctor, t)).toBe(1);
  });

  it("takes a message off the screen and gives the text back when it cannot be sealed into the outbox", async () => {
    const w = await ChatWorld.create();
    const seal = vi.spyOn(w.doctor.store, "sealIntoOutbox").mockRejectedValueOnce(new Error("QuotaExceededError"));
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const pending = w.doctor.chat.send("no room");
    expect(w.doctor.find("no room")?.state).toBe("sending");
    expect(await pending).toBe(false);
    expect(w.doctor.find("no room")).toBeUndefined();
    expect(seal).toHaveBeenCalledTimes(1);
    warn.mockRestore();
    expect(await w.doctor.chat.send("room again")).toBe(true);
    await w.settle();
    expect(w.patient.texts()).toEqual(["room again"]);
    expect(w.server.messages.map((m) => m.seq)).toEqual([0]);
  });
});

describe("a reload right after Send", () => {
  /** The doctor's page goes (its pending seals with it) and a new one opens in the same tab. */
  const reloadDoctor = (w: ChatWorld, input = w.inputFor(w.doctor)) => {
    w.doctor.chat.dispose();
    w.doctor.store.release();
    w.doctor.open(input);
  };
  /** The doctor sends `text` and the page never hears back from sealing it ("lost": never stored; "landed": stored). */
  const sentThenHeld = async (text: string, how: "lost" | "landed" = "lost", o: WorldOptions = {}) => {
    const w = await ChatWorld.create(o);
    w.doctor.store.holdSeals(how);
    void w.doctor.chat.send(text);
    await w.settle();
    return w;
  };

  it("sends each message once, in order, when the page went before their sealed copies were stored; the tab kept them masked", async () => {
    const w = await ChatWorld.create();
    w.doctor.store.holdSeals("lost");
    const texts = ["Your results are back", "The potassium is a little low", "Eat a banana a day"];
    for (const t of texts) void w.doctor.chat.send(t);
    const ids = w.doctor.messages().map((m) => m.id);
    const kept = [...w.doctor.page.tab.items.values()].join();
    expect(kept).toContain(ids[0]);
    for (const t of texts) {
      expect(kept).not.toContain(t);
      expect(kept).not.toContain(toBase64Url(new TextEncoder().encode(t)).slice(0, 12));
    }
    await w.settle();
    expect(w.server.messages).toHaveLength(0);
    expect(w.doctor.store.queued()).toHaveLength(0);

    reloadDoctor(w);
    await w.settle();
    expect(w.server.messages.map((m) => [m.id, m.seq])).toEqual(ids.map((id, i) => [id, i]));
    expect(w.patient.texts()).toEqual(texts);
    expect(w.doctor.messages().map((m) => [m.id, m.body, m.state])).toEqual(texts.map((t, i) => [ids[i], t, "sent"]));
    for (const t of texts) expect(mostCopies(w.patient, t)).toBe(1);
    expect(w.doctor.page.tab.items.size).toBe(0);
  });

  it("sends it once when the sealed copy was stored but the page went before it heard so", async () => {
    const w = await sentThenHeld("stored, not heard", "landed");
    expect(w.doctor.store.queued()).toHaveLength(1);
    expect(w.doctor.page.tab.items.size).toBe(1);

    const seal = vi.spyOn(w.doctor.store, "sealIntoOutbox");
    reloadDoctor(w);
    await w.settle();
    expect(seal).not.toHaveBeenCalled(); // the outbox (or by now the server) had it: never sealed a second time
    expect(w.server.messages.map((m) => m.seq)).toEqual([0]);
    expect(w.patient.texts()).toEqual(["stored, not heard"]);
    expect(mostCopies(w.doctor, "stored, not heard")).toBe(1);
    expect(w.doctor.find("stored, not heard")?.state).toBe("sent");
    expect(w.doctor.page.tab.items.size).toBe(0);
  });

  it("shows it as sending after the reload and seals it only once sending is allowed again", async () => {
    const w = await sentThenHeld("before the call is verified again", "lost", { pinsVerified: false });

    reloadDoctor(w, { ...w.inputFor(w.doctor), e2ee: "handshaking" });
    await w.settle();
    expect(w.doctor.state.block).toBe("handshaking");
    expect(w.doctor.find("before the call is verified again")?.state).toBe("sending");
    expect(w.server.messages).toHaveLength(0);
    expect(w.doctor.store.queued()).toHaveLength(0);

    w.doctor.update({ e2ee: "verified" });
    await w.settle();
    expect(w.patient.texts()).toEqual(["before the call is verified again"]);
    expect(w.doctor.find("before the call is verified again")?.state).toBe("sent");
  });

  it("seals it once when the new page mounts the chat twice (the first one goes at once)", async () => {
    const w = await sentThenHeld("mounted twice");
    reloadDoctor(w);
    const seal = vi.spyOn(w.doctor.store, "sealIntoOutbox");
    w.doctor.chat.dispose();
    w.doctor.open(w.inputFor(w.doctor));
    await w.settle();
    expect(seal).toHaveBeenCalledTimes(1);
    expect(w.server.messages).toHaveLength(1);
    expect(w.patient.texts()).toEqual(["mounted twice"]);
    expect(w.doctor.find("mounted twice")?.state).toBe("sent");
  });

  it("forgets what the last page left unsealed when the consult is removed from the device", async () => {
    const w = await sentThenHeld("never mind");
    w.doctor.store.release();
    await w.doctor.chat.eraseFromDevice();
    expect(w.doctor.page.tab.items.size).toBe(0);
  });
});

describe("the outbox", () => {
  it("keeps messages sending while the server is unreachable, retries after 1, 2, 4, 8, 8 s with the same bytes, and delivers each once, in order", async () => {
    const w = await ChatWorld.create();
    w.doctor.offline();
    await w.doctor.chat.send("first");
    await w.settle();
    const attempts = () => w.doctor.sent("post").length;
    expect(attempts()).toBe(1);
    for (const [wait, expected] of [
      [999, 1],
      [1, 2],
      [1_999, 2],
      [1, 3],
      [4_000, 4],
      [8_000, 5],
      [7_999, 5],
      [1, 6],
    ] as const) {
      await w.advance(wait);
      expect(attempts(), `after ${wait} ms more`).toBe(expected);
    }
    await w.doctor.chat.send("second");
    await w.settle();
    expect(w.doctor.messages().map((m) => [m.body, m.state])).toEqual([
      ["first", "sending"],
      ["second", "sending"],
    ]);
    expect(w.patient.messages()).toHaveLength(0);

    w.server.setOutage(w.doctor.member.participantId, undefined);
    await w.advance(8_000);
    expect(w.server.messages.map((m) => m.seq)).toEqual([0, 1]);
    const firstTries = w.doctor.sent("post").filter((b) => (b as { seq: number }).seq === 0);
    expect(new Set(firstTries.map((b) => JSON.stringify(b))).size).toBe(1);
    expect(w.patient.texts()).toEqual(["first", "second"]);
    w.doctor.online();
    await w.advance(150);
    expect(w.doctor.messages().map((m) => [m.body, m.state])).toEqual([
      ["first", "read"],
      ["second", "read"],
    ]);
    expect(mostCopies(w.patient, "first")).toBe(1);
  });

  it.each(["fetch", 503] as const)("treats %s like a lost network: the message waits and goes later", async (how) => {
    const w = await ChatWorld.create();
    w.server.setOutage(w.doctor.member.participantId, how);
    await w.doctor.chat.send("later");
    await w.settle();
    expect(w.doctor.find("later")?.state).toBe("sending");
    w.server.setOutage(w.doctor.member.participantId, undefined);
    await w.advance(1_000);
    expect(w.doctor.find("later")?.state).toBe("sent");
    expect(w.patient.texts()).toEqual(["later"]);
  });

  it("never lets a new message overtake one waiting for a retry: the server gets them in seq order", async () => {
    const w = await ChatWorld.create();
    w.server.setOutage(w.doctor.member.participantId, 503);
    await w.doctor.chat.send("waits for a retry");
    await w.settle();
    w.server.setOutage(w.doctor.member.participantId, undefined);
    // The server is back, but the first message's retry is still 1 s away when the next is sent.
    await w.doctor.chat.send("sent during the backoff");
    await w.settle();
    expect(w.server.messages.map((m) => m.seq)).toEqual([0, 1]);
    expect(w.patient.texts()).toEqual(["waits for a retry", "sent during the backoff"]);
    await w.advance(1_000);
    expect(w.server.messages.map((m) => m.seq)).toEqual([0, 1]);
  });

  it("posts a message sealed on this page without reading the outbox again, and reads it after a failure", async () => {
    const w = await ChatWorld.create();
    await w.doctor.chat.send("one");
    await w.settle();
    const reads = vi.spyOn(w.doctor.store, "outboxOf");
    await w.doctor.chat.send("two");
    await w.settle();
    expect(reads).not.toHaveBeenCalled();
    w.doctor.offline();
    await w.doctor.chat.send("three");
    await w.settle();
    w.doctor.online();
    await w.settle();
    expect(reads).toHaveBeenCalled();
    expect(w.patient.texts()).toEqual(["one", "two", "three"]);
  });

  it("sends at once when the event stream reopens, without waiting for the backoff", async () => {
    const w = await ChatWorld.create();
    w.doctor.offline();
    await w.doctor.chat.send("after the tunnel");
    await w.advance(7_000); // four tries; the next one is due only at 15 s
    expect(w.doctor.sent("post")).toHaveLength(4);
    w.doctor.online();
    await w.settle();
    expect(w.doctor.sent("post")).toHaveLength(5);
    expect(w.patient.texts()).toEqual(["after the tunnel"]);
  });

  it("sends at once when the browser is back online", async () => {
    const w = await ChatWorld.create();
    w.server.setOutage(w.doctor.member.participantId, "network");
    await w.doctor.chat.send("wifi is back");
    await w.settle();
    w.server.setOutage(w.doctor.member.participantId, undefined);
    w.doctor.chat.online();
    await w.settle();
    expect(w.patient.texts()).toEqual(["wifi is back"]);
    expect(w.doctor.find("wifi is back")?.state).toBe("sent");
  });

  it("shows a message once when the server stored it but its answer was lost", async () => {
    const w = await ChatWorld.create();
    w.server.loseNextAnswer();
    await w.doctor.chat.send("only once");
    await w.advance(1_000);
    await w.advance(150);
    expect(w.doctor.sent("post")).toHaveLength(2);
    expect(w.server.messages).toHaveLength(1);
    expect(w.patient.texts()).toEqual(["only once"]);
    expect(w.doctor.texts()).toEqual(["only once"]);
    expect(w.doctor.find("only once")?.state).toBe("read");
    expect(w.doctor.store.queued()).toHaveLength(0);
  });

  it("marks a message the server refuses as failed with the server's reason, and sends it when the person retries", async () => {
    const w = await ChatWorld.create();
    w.server.refusePosts(403, "This consult has ended.");
    await w.doctor.chat.send("refused");
    await w.advance(60_000);
    expect(w.doctor.sent("post")).toHaveLength(1); // a refusal is not retried by itself
    expect(w.doctor.find("refused")).toMatchObject({ state: "failed", problem: "This consult has ended." });
    expect(w.doctor.store.queued()).toEqual([expect.objectContaining({ failed: "This consult has ended." })]);

    w.server.acceptPosts();
    const id = w.doctor.find("refused")?.id ?? "";
    await w.doctor.chat.retry(id);
    await w.settle();
    expect(w.doctor.find("refused")?.state).toBe("sent");
    expect(w.patient.texts()).toEqual(["refused"]);
    expect(w.doctor.store.queued()).toHaveLength(0);
  });

  it("tells the call this device's chain head once its messages are stored", async () => {
    const w = await ChatWorld.create();
    await w.doctor.chat.send("a");
    await w.doctor.chat.send("b");
    await w.settle();
    const chain = w.doctor.store.chainOf(w.doctor.member.userId, w.consultId, w.doctor.deviceId);
    expect(chain?.nextSeq).toBe(2);
    expect(w.doctor.heads.at(-1)).toEqual({ deviceId: w.doctor.deviceId, seq: 1, hash: toBase64Url(chain?.lastHash ?? new Uint8Array()) });
    expect(w.patient.heads).toEqual([]);
  });
});
