// Linking a second device (PROTOCOL §7.2) without a browser: two LinkSessions, each with a real
// identity key and the real handshake (lib/rtc/handshake.ts), over an in-memory stand-in for the
// link's channel that relays what the server would. What a person would notice: the same code on
// both screens, keys only after both confirmed, and nothing shared when anything is off.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generateEcdhKey, generateSigningKey, sha256, type LinkGrant } from "@/lib/crypto";
import { LinkSession, type LinkPorts, type LinkRole, type LinkView } from "@/lib/client/devices/link-session";
import type { LinkMessage, LinkState } from "@/lib/shared/devices";
import type { VerifiedPeer } from "@/lib/rtc/handshake";

type Stored = { seq: number; from: string; message: LinkMessage };

/** The link as the server keeps it: state, the two devices, the messages in order. */
class FakeLink {
  readonly id = randomUUID();
  state: LinkState = "joined";
  messages: Stored[] = [];
  finished: { by: string; outcome: string }[] = [];
  /** lets a test change a message as a lying server would */
  tamper: (m: LinkMessage) => LinkMessage = (m) => m;
  constructor(
    readonly from: string,
    readonly to: string,
  ) {}
  ports(deviceId: string, extra: Partial<LinkPorts> = {}): LinkPorts {
    return {
      post: (message) => {
        this.messages.push({ seq: this.messages.length + 1, from: deviceId, message: this.tamper(message) });
        return Promise.resolve();
      },
      read: (after) =>
        Promise.resolve({
          state: this.state,
          fromDeviceId: this.from,
          toDeviceId: this.to,
          messages: this.messages.filter((m) => m.seq > after && m.from !== deviceId),
        }),
      finish: (outcome) => {
        this.finished.push({ by: deviceId, outcome });
        if (this.state === "joined") this.state = outcome === "linked" ? "linked" : outcome === "mismatch" ? "failed" : "cancelled";
        return Promise.resolve();
      },
      sleep: () => new Promise((r) => setTimeout(r, 1)),
      ...extra,
    };
  }
}

async function device() {
  const id = await generateSigningKey();
  return { deviceId: randomUUID(), privateKey: id.privateKey, spki: id.spki };
}

/** Runs a session until `until` holds for its view (or it fails), with a bound. */
function start(role: LinkRole, link: FakeLink, keys: Awaited<ReturnType<typeof device>>, ports: LinkPorts, anchor?: Uint8Array) {
  const views: LinkView[] = [];
  const s = new LinkSession({ role, linkId: link.id, keys, ports, anchor, pollMs: 1, onChange: (v) => views.push(v) });
  const running = s.run();
  const reach = async (phase: LinkView["phase"]) => {
    for (let i = 0; i < 2000 && s.state.phase !== phase && s.state.phase !== "failed"; i++) await new Promise((r) => setTimeout(r, 2));
    return s.state;
  };
  return { s, views, running, reach };
}

describe("linking a second device", () => {
  it("shows the same code on both devices, and sends the grant and keys only after both people confirmed", async () => {
    const [a, b] = [await device(), await device()];
    const link = new FakeLink(a.deviceId, b.deviceId);
    const backup = await generateEcdhKey();
    const calls: string[] = [];
    let joinerSaw: VerifiedPeer | undefined;
    let holderSaw: VerifiedPeer | undefined;
    let grant: LinkGrant | undefined;
    const holder = start(
      "holder",
      link,
      a,
      link.ports(a.deviceId, {
        verifiedJoiner: (peer) => {
          holderSaw = peer;
          calls.push("verified");
          return Promise.resolve({ backupSpki: backup.spki });
        },
        sendKeys: () => Promise.resolve(void calls.push("keys sent")),
      }),
    );
    const joiner = start(
      "joiner",
      link,
      b,
      link.ports(b.deviceId, {
        granted: (peer, g) => {
          joinerSaw = peer;
          grant = g;
          calls.push("granted");
          return Promise.resolve();
        },
        receiveKeys: () => Promise.resolve(void calls.push("keys received")),
      }),
    );
    const [h, j] = await Promise.all([holder.reach("compare"), joiner.reach("compare")]);
    expect(h.phase).toBe("compare");
    expect(h.code).toMatch(/^\d{4} \d{4} \d{4}$/);
    expect(j.code).toBe(h.code);
    // One person's confirmation is not enough.
    await holder.s.confirm();
    await new Promise((r) => setTimeout(r, 30));
    expect(calls).toEqual([]);
    expect(link.messages.some((m) => m.message.type === "grant")).toBe(false);
    await joiner.s.confirm();
    await Promise.all([holder.reach("linked"), joiner.reach("linked")]);
    expect(holder.s.state.phase).toBe("linked");
    expect(joiner.s.state.phase).toBe("linked");
    expect(new Set(calls)).toEqual(new Set(["verified", "keys sent", "granted", "keys received"]));
    expect(calls.indexOf("keys received")).toBeGreaterThan(calls.indexOf("keys sent"));
    expect(holderSaw?.identity).toEqual(b.spki);
    expect(joinerSaw?.identity).toEqual(a.spki);
    expect(grant?.backupSpki).toEqual(backup.spki);
    expect(link.finished).toEqual([{ by: a.deviceId, outcome: "linked" }]);
    await Promise.all([holder.running, joiner.running]);
  });

  it("shares nothing when a person says the codes differ, and tells the server", async () => {
    const [a, b] = [await device(), await device()];
    const link = new FakeLink(a.deviceId, b.deviceId);
    let shared = false;
    const holder = start("holder", link, a, link.ports(a.deviceId, { verifiedJoiner: () => Promise.resolve(((shared = true), {})) }));
    const joiner = start("joiner", link, b, link.ports(b.deviceId, { receiveKeys: () => Promise.resolve(void (shared = true)) }));
    await Promise.all([holder.reach("compare"), joiner.reach("compare")]);
    await holder.s.confirm();
    await joiner.s.mismatch();
    expect(joiner.s.state.phase).toBe("failed");
    expect(await holder.reach("linked")).toMatchObject({ phase: "failed" });
    expect(shared).toBe(false);
    expect(link.finished).toEqual([{ by: b.deviceId, outcome: "mismatch" }]);
  });

  it("stops before any code when the device is not the one whose QR code was scanned", async () => {
    const [a, b, other] = [await device(), await device(), await device()];
    const link = new FakeLink(a.deviceId, b.deviceId);
    const anchor = (await sha256(other.spki)).slice(0, 16);
    const holder = start("holder", link, a, link.ports(a.deviceId));
    const joiner = start("joiner", link, b, link.ports(b.deviceId), anchor);
    const refused = await joiner.reach("compare");
    expect(refused.phase).toBe("failed");
    expect(refused.error).toContain("QR code");
    expect(joiner.views.some((v) => v.code)).toBe(false);
    await holder.s.cancel();
    // the holder's own anchor passes
    const link2 = new FakeLink(a.deviceId, b.deviceId);
    const h2 = start("holder", link2, a, link2.ports(a.deviceId));
    const j2 = start("joiner", link2, b, link2.ports(b.deviceId), (await sha256(a.spki)).slice(0, 16));
    expect((await j2.reach("compare")).phase).toBe("compare");
    await Promise.all([h2.s.cancel(), j2.s.cancel()]);
  });

  it("refuses a grant the server altered: the new device gets nothing", async () => {
    const [a, b] = [await device(), await device()];
    const link = new FakeLink(a.deviceId, b.deviceId);
    link.tamper = (m) => (m.type === "grant" ? { ...m, ct: `${m.ct[0] === "A" ? "B" : "A"}${m.ct.slice(1)}` } : m);
    let received = false;
    const holder = start("holder", link, a, link.ports(a.deviceId));
    const joiner = start("joiner", link, b, link.ports(b.deviceId, { granted: () => Promise.resolve(void (received = true)), receiveKeys: () => Promise.resolve(void (received = true)) }));
    await Promise.all([holder.reach("compare"), joiner.reach("compare")]);
    await Promise.all([holder.s.confirm(), joiner.s.confirm()]);
    expect(await joiner.reach("linked")).toMatchObject({ phase: "failed" });
    expect(received).toBe(false);
  });

  it("ends when the link expires or is cancelled on the server", async () => {
    const [a, b] = [await device(), await device()];
    const link = new FakeLink(a.deviceId, b.deviceId);
    const joiner = start("joiner", link, b, link.ports(b.deviceId));
    link.state = "cancelled";
    const ended = await joiner.reach("compare");
    expect(ended.phase).toBe("failed");
    expect(ended.error).toContain("expired");
  });
});
