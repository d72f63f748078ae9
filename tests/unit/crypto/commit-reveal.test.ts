// The ordering rules of the commit-then-reveal handshake (PROTOCOL §2.1–2.3, lib/crypto's
// CommitReveal), each on one state machine. Two devices over the signaling log in every order of
// joining and arrival, driven by the real client: tests/unit/room/handshake-orders.test.ts.
import { describe, expect, it } from "vitest";

import { CommitReveal, ProtocolError, randomBytes, toHex, type Bytes } from "@/lib/crypto";

const sid = (): Bytes => randomBytes(16);
const c32 = (): Bytes => randomBytes(32);

/** Our session with its commit posted. */
function posted(): CommitReveal {
  const cr = new CommitReveal(sid());
  cr.commitPosted();
  return cr;
}

describe("CommitReveal: the rules one by one", () => {
  it("refuses a reveal without a prior commit", () => {
    const cr = posted();
    expect(() => cr.acceptReveal(sid(), cr.sid, c32())).toThrow(/without a prior commit/);
    expect(cr.acceptedPeer).toBeUndefined();
  });

  it("refuses a second answer to our revealed hello (the same peer again, or another peer)", () => {
    const cr = posted();
    const [p1, p2] = [sid(), sid()];
    const [c1, c2] = [c32(), c32()];
    expect(cr.peerCommit(p1, c1)).toBe("recorded");
    expect(cr.peerCommit(p2, c2)).toBe("recorded");
    expect(toHex(cr.revealTarget() ?? new Uint8Array())).toBe(toHex(p1));
    cr.acceptReveal(p1, cr.sid, c1);
    expect(toHex(cr.acceptedPeer ?? new Uint8Array())).toBe(toHex(p1));
    expect(() => cr.acceptReveal(p1, cr.sid, c1)).toThrow(/second answer/);
    expect(() => cr.acceptReveal(p2, cr.sid, c2)).toThrow(/second answer/);
    expect(toHex(cr.acceptedPeer ?? new Uint8Array())).toBe(toHex(p1));
  });

  it("refuses a reveal whose commit arrived after our own reveal", () => {
    const cr = posted();
    const [early, late] = [sid(), sid()];
    const lateCommit = c32();
    cr.peerCommit(early, c32());
    expect(cr.revealTarget()).toBeDefined();
    // The late commit is not recorded (the caller must restart), so its reveal has no usable commit.
    expect(cr.peerCommit(late, lateCommit)).toBe("restart");
    expect(() => cr.acceptReveal(late, cr.sid, lateCommit)).toThrow(ProtocolError);
    expect(cr.acceptedPeer).toBeUndefined();
  });

  // Issue 20, item 4: before, any session that committed before our reveal could answer it.
  it("refuses a reveal from a session that committed before our reveal but is not the one we revealed to", () => {
    const cr = posted();
    const [chosen, other] = [sid(), sid()];
    const [cChosen, cOther] = [c32(), c32()];
    cr.peerCommit(chosen, cChosen);
    cr.peerCommit(other, cOther);
    expect(toHex(cr.revealTarget() ?? new Uint8Array())).toBe(toHex(chosen));
    expect(() => cr.acceptReveal(other, cr.sid, cOther)).toThrow(/did not reveal to/);
    expect(cr.acceptedPeer).toBeUndefined();
    cr.acceptReveal(chosen, cr.sid, cChosen);
    expect(toHex(cr.acceptedPeer ?? new Uint8Array())).toBe(toHex(chosen));
  });

  it("refuses a reveal before we revealed at all (nothing of ours was answered)", () => {
    const cr = posted();
    const p = sid();
    const c = c32();
    cr.peerCommit(p, c);
    expect(() => cr.acceptReveal(p, cr.sid, c)).toThrow(/did not reveal to/);
    expect(cr.acceptedPeer).toBeUndefined();
  });

  it("refuses a reveal addressed to another session", () => {
    const cr = posted();
    const p = sid();
    const c = c32();
    cr.peerCommit(p, c);
    cr.revealTarget();
    expect(() => cr.acceptReveal(p, sid(), c)).toThrow(/addressed to another session/);
    expect(() => cr.acceptReveal(p, p, c)).toThrow(/addressed to another session/);
    expect(cr.acceptedPeer).toBeUndefined();
  });

  it("refuses a hello that does not match its commitment, and still accepts the genuine one after", () => {
    const cr = posted();
    const p = sid();
    const c = c32();
    cr.peerCommit(p, c);
    cr.revealTarget();
    const forged = new Uint8Array(c);
    forged[31] = (forged[31] ?? 0) ^ 1;
    expect(() => cr.acceptReveal(p, cr.sid, forged)).toThrow(/does not match its commitment/);
    expect(cr.acceptedPeer).toBeUndefined();
    cr.acceptReveal(p, cr.sid, c);
    expect(toHex(cr.acceptedPeer ?? new Uint8Array())).toBe(toHex(p));
  });

  it("gives a reveal target only after our commit is posted, only with a peer commit, and only once", () => {
    const cr = new CommitReveal(sid());
    expect(cr.revealTarget()).toBeUndefined();
    const p = sid();
    const c = c32();
    cr.peerCommit(p, c);
    expect(cr.revealTarget()).toBeUndefined(); // our commit is not posted yet
    expect(cr.revealedTo).toBeUndefined();
    cr.commitPosted();
    expect(toHex(cr.revealTarget() ?? new Uint8Array())).toBe(toHex(p));
    expect(toHex(cr.revealedTo ?? new Uint8Array())).toBe(toHex(p));
    expect(cr.revealTarget()).toBeUndefined(); // once
    expect(cr.peerCommit(p, c)).toBe("duplicate");
    expect(cr.revealTarget()).toBeUndefined();

    const alone = posted();
    expect(alone.revealTarget()).toBeUndefined(); // no peer commit
  });

  it("a new peer session after we revealed means restart; the peer we revealed to repeating its commit is a duplicate", () => {
    const cr = posted();
    const p = sid();
    const c = c32();
    expect(cr.peerCommit(p, c)).toBe("recorded");
    expect(cr.peerCommit(p, c)).toBe("duplicate"); // before our reveal too
    cr.revealTarget();
    expect(cr.peerCommit(p, c)).toBe("duplicate");
    expect(cr.peerCommit(sid(), c32())).toBe("restart");
    expect(cr.revealTarget()).toBeUndefined();
  });

  it("refuses a session changing its commitment, before or after our reveal", () => {
    const cr = posted();
    const p = sid();
    const c = c32();
    cr.peerCommit(p, c);
    expect(() => cr.peerCommit(p, c32())).toThrow(/changed its commitment/);
    cr.revealTarget();
    expect(() => cr.peerCommit(p, c32())).toThrow(/changed its commitment/);
    // The original commitment still stands.
    cr.acceptReveal(p, cr.sid, c);
  });

  it("refuses a commitment that is not 32 bytes", () => {
    const cr = posted();
    expect(() => cr.peerCommit(sid(), new Uint8Array(31))).toThrow(ProtocolError);
    expect(() => cr.peerCommit(sid(), new Uint8Array(33))).toThrow(ProtocolError);
    expect(cr.revealTarget()).toBeUndefined();
  });

  it("a refused reveal does not consume our session: the peer's genuine reveal is still accepted", () => {
    const cr = posted();
    const p = sid();
    const c = c32();
    cr.peerCommit(p, c);
    expect(toHex(cr.revealTarget() ?? new Uint8Array())).toBe(toHex(p));
    expect(() => cr.acceptReveal(sid(), cr.sid, c)).toThrow(/without a prior commit/); // unknown sender
    expect(() => cr.acceptReveal(p, sid(), c)).toThrow(/addressed to another session/); // other session
    expect(() => cr.acceptReveal(p, cr.sid, c32())).toThrow(/does not match its commitment/); // wrong hash
    cr.acceptReveal(p, cr.sid, c);
    expect(toHex(cr.acceptedPeer ?? new Uint8Array())).toBe(toHex(p));
  });

  // For a driver that reads the log's history (the app's client does not: docs/protocol.md §3).
  it("never reveals to a commit that a reveal on the log already answers (revealSeen), before or after it arrives", () => {
    const before = posted();
    const [spent, fresh] = [sid(), sid()];
    before.revealSeen(spent);
    expect(before.peerCommit(spent, c32())).toBe("recorded");
    expect(before.revealTarget()).toBeUndefined();
    before.peerCommit(fresh, c32());
    expect(toHex(before.revealTarget() ?? new Uint8Array())).toBe(toHex(fresh));

    const after = new CommitReveal(sid());
    const late = sid();
    after.peerCommit(late, c32());
    after.revealSeen(late);
    after.commitPosted();
    expect(after.revealTarget()).toBeUndefined();
  });

  // Regression: found by these tests and fixed in lib/crypto (see the commit that removed it.fails).
  it("refuses our own session id as a peer commit (reflection)", () => {
    const cr = posted();
    const c = c32();
    expect(() => cr.peerCommit(cr.sid, c)).toThrow(ProtocolError);
    expect(cr.revealTarget()).toBeUndefined();
    expect(() => cr.acceptReveal(cr.sid, cr.sid, c)).toThrow(ProtocolError);
  });
});
