// The ordering rules of the symmetric commit-then-reveal handshake (PROTOCOL §2.1–2.3), as a pure
// state machine for one join (one session of ours). It decides; the caller hashes, signs, posts
// and verifies.
//   1. Commit: post our commit at once.
//   2. Reveal: only after our commit is posted AND we hold an unspent commit of the peer. A commit
//      is spent once a reveal addressed to it exists. We reveal our hello once; a new peer session
//      appearing after we revealed means: discard the ephemeral key and start again at step 1.
//   3. Accept a peer's reveal only if we revealed to that session, its commit arrived before our
//      own reveal and the hash matches; one accepted reveal per session of ours (a second answer
//      is refused).
import { equal, toHex, type Bytes } from "./bytes";
import { ProtocolError } from "./subtle";

type PeerCommit = { commit: Bytes; arrivedBeforeOurReveal: boolean; spent: boolean };

export type CommitOutcome = "recorded" | "duplicate" | "restart";

export class CommitReveal {
  private ourCommitPosted = false;
  private ourRevealTo: string | undefined;
  private accepted: string | undefined;
  private readonly peers = new Map<string, PeerCommit>();
  /** sessions some reveal on the log is already addressed to: their commits are spent */
  private readonly answered = new Set<string>();

  constructor(readonly sid: Bytes) {}

  /** Step 1 done: our commit is on the log. */
  commitPosted(): void {
    this.ourCommitPosted = true;
  }

  /**
   * A peer session's commit arrived. "restart" when we already revealed to another session: our
   * ephemeral key must be discarded and the handshake started again with a new session.
   */
  peerCommit(peerSid: Uint8Array, commit: Uint8Array): CommitOutcome {
    if (commit.length !== 32) throw new ProtocolError("a commitment is 32 bytes");
    if (equal(peerSid, this.sid)) throw new ProtocolError("our own session cannot be a peer");
    const id = toHex(peerSid);
    const known = this.peers.get(id);
    if (known) {
      if (!equal(known.commit, commit)) throw new ProtocolError("a session changed its commitment");
      return "duplicate";
    }
    if (this.ourRevealTo !== undefined && this.ourRevealTo !== id) return "restart";
    this.peers.set(id, { commit: new Uint8Array(commit), arrivedBeforeOurReveal: this.ourRevealTo === undefined, spent: this.answered.has(id) });
    return "recorded";
  }

  /**
   * A reveal addressed to session `to` exists on the log (ours or anyone's): that session's commit
   * is spent, so we never reveal to it. A caller reading the log's history feeds every reveal here
   * before asking revealTarget().
   */
  revealSeen(to: Uint8Array): void {
    const id = toHex(to);
    this.answered.add(id);
    const p = this.peers.get(id);
    if (p) p.spent = true;
  }

  /** Step 2: the peer session to reveal our hello to, if the rules allow it now (and only once). */
  revealTarget(): Bytes | undefined {
    if (!this.ourCommitPosted || this.ourRevealTo !== undefined) return undefined;
    for (const [id, p] of this.peers) {
      if (!p.spent) {
        p.spent = true;
        this.ourRevealTo = id;
        return hexBytes(id);
      }
    }
    return undefined;
  }

  get revealedTo(): Bytes | undefined {
    return this.ourRevealTo === undefined ? undefined : hexBytes(this.ourRevealTo);
  }

  /**
   * Step 3: may the reveal of `peerSid`, addressed to `to`, carrying a hello whose commitment is
   * `helloCommitment`, be accepted? Throws ProtocolError with the rule it breaks.
   */
  acceptReveal(peerSid: Uint8Array, to: Uint8Array, helloCommitment: Uint8Array): void {
    if (!equal(to, this.sid)) throw new ProtocolError("the reveal is addressed to another session");
    if (equal(peerSid, this.sid)) throw new ProtocolError("our own hello echoed back: refused");
    if (this.accepted !== undefined) throw new ProtocolError("a second answer to our hello: refused");
    const p = this.peers.get(toHex(peerSid));
    if (!p) throw new ProtocolError("a reveal without a prior commit: refused");
    if (!p.arrivedBeforeOurReveal) throw new ProtocolError("the peer committed after we revealed: refused");
    // Only the session we revealed to may answer: another that committed before our reveal is
    // still a session we never showed our hello to (a server replaying sessions to try codes).
    if (this.ourRevealTo === undefined || this.ourRevealTo !== toHex(peerSid)) throw new ProtocolError("a reveal from a session we did not reveal to: refused");
    if (!equal(p.commit, helloCommitment)) throw new ProtocolError("the revealed hello does not match its commitment");
    this.accepted = toHex(peerSid);
  }

  /** The peer session whose hello we accepted. */
  get acceptedPeer(): Bytes | undefined {
    return this.accepted === undefined ? undefined : hexBytes(this.accepted);
  }
}

function hexBytes(hex: string): Bytes {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
