// The abuse limits (lib/server/rate-limits.ts) must never slow a real call: what the app itself
// sends, over the room's fakes (./room/call-harness.ts, ./room/chat-harness.ts), stays at most a
// tenth of each limit, per participant and per window. docs/architecture.md ("Abuse limits") holds
// the figures; RATE_FIGURES=1 prints them:
//   RATE_FIGURES=1 npx vitest run --project unit tests/unit/rate-limit-margin.test.ts
//
// The fake peers trickle one ICE candidate per gathering; a browser trickles one per address, per
// STUN and TURN server and transport, and, before bundling is agreed, per media section. A
// gathering is counted as CANDIDATES_PER_GATHERING here: three sections (audio, video, data) × two
// host, one server-reflexive and three relay (UDP, TCP, TLS) candidates.
import { afterAll, describe, expect, it } from "vitest";
import { RATE_LIMITS, type RateKind } from "@/lib/server/rate-limits";
import { Consult } from "./room/call-harness";
import { ChatWorld, type Device } from "./room/chat-harness";
import type { LogEntry, Side } from "./room/fakes/fake-log";

const CANDIDATES_PER_GATHERING = 3 * (2 + 1 + 3);
const MARGIN = 10;

const figures: string[] = [];

afterAll(() => {
  if (process.env.RATE_FIGURES) process.stdout.write(`\n${figures.join("\n")}\n`);
});

/** Records a measured figure and checks it leaves the margin under the limit. */
function within(kind: RateKind, scenario: string, measured: number, margin = MARGIN): void {
  figures.push(`${kind.padEnd(8)} ${String(measured).padStart(4)}  ${scenario}`);
  expect(measured * margin, `${scenario}: ${measured} ${kind} requests`).toBeLessThanOrEqual(RATE_LIMITS[kind].max);
}

const isCandidate = (e: LogEntry) => e.type === "rtc" && e.json.includes('"type":"candidate"');
const isGathering = (e: LogEntry) => e.type === "rtc" && /"type":"(offer|answer)"/.test(e.json);

/** The most signals one side posted in any window, with a browser's candidates in place of the fakes'. */
function worstWindow(entries: LogEntry[], side: Side, windowMs = RATE_LIMITS.signal.windowMs): number {
  const mine = entries.filter((e) => e.from === side);
  let worst = 0;
  for (const first of mine) {
    const inWindow = mine.filter((e) => e.at >= first.at && e.at < first.at + windowMs);
    const signals = inWindow.filter((e) => !isCandidate(e)).length + CANDIDATES_PER_GATHERING * inWindow.filter(isGathering).length;
    worst = Math.max(worst, signals);
  }
  return worst;
}

function bothSides(scenario: string, entries: LogEntry[], margin = MARGIN): void {
  for (const side of ["doctor", "patient"] as const) within("signal", `${scenario} (${side})`, worstWindow(entries, side), margin);
}

describe("call signals", () => {
  it("set-up, the code confirmed, and a reload of each side", async () => {
    const c = await Consult.create();
    await c.connect();
    await c.confirmBoth();
    bothSides("set-up and confirmation", c.log.entries);
    for (const who of ["patient", "doctor"] as const) {
      const from = c.log.entries.length;
      c[who].reload();
      await c.settle();
      bothSides(`a reload of the ${who}'s page`, c.log.entries.slice(from));
    }
  });

  it("an ICE restart that works, and a network that drops every 20 s for ten minutes", async () => {
    const c = await Consult.create();
    await c.connect();
    let from = c.log.entries.length;
    c.net.pair().drop();
    await c.settle();
    bothSides("one ICE restart", c.log.entries.slice(from));
    from = c.log.entries.length;
    for (let i = 0; i < 30; i++) {
      c.net.pair().drop();
      await c.tick(1_000, 250);
      c.net.pair().restore();
      await c.tick(19_000, 1_000);
    }
    bothSides("a drop every 20 s for 10 min", c.log.entries.slice(from));
  });

  it("ICE that cannot connect for two minutes: restarts, then new handshakes", async () => {
    const c = await Consult.create();
    await c.connect();
    const from = c.log.entries.length;
    c.net.iceWorks = false;
    c.net.pair().drop();
    await c.tick(120_000, 250);
    bothSides("ICE failing for 2 min", c.log.entries.slice(from));
  });

  it("the patient offline for two minutes with the call's channel closed, then back (its held signals at once)", async () => {
    const c = await Consult.create();
    await c.connect();
    const from = c.log.entries.length;
    c.log.offline("patient");
    c.net.pair().closeChannel();
    await c.tick(120_000, 250);
    c.log.online("patient");
    await c.settle();
    await c.tick(10_000, 250);
    bothSides("patient offline 2 min, then back", c.log.entries.slice(from));
  });

  it("ten reloads in ten seconds stay under the limit too, with half the margin", async () => {
    const c = await Consult.create();
    await c.connect();
    const from = c.log.entries.length;
    for (let i = 0; i < 10; i++) {
      c.patient.reload();
      await c.tick(1_000);
    }
    bothSides("10 reloads of the patient's page in 10 s", c.log.entries.slice(from), MARGIN / 2);
  });
});

describe("chat: presence, receipts and messages in a minute", () => {
  const count = (d: Device, route: "post" | "presence" | "receipt") => d.sent(route).length;

  it("typing: a key every 100 ms, or a key every 4.1 s (typing on, then off, each time)", async () => {
    let w = await ChatWorld.create();
    for (let t = 0; t < 60_000; t += 100) {
      w.doctor.chat.noteTyping();
      await w.advance(100);
    }
    within("presence", "typing without a pause for 1 min", count(w.doctor, "presence"));
    w = await ChatWorld.create();
    for (let t = 0; t < 60_000; t += 4_100) {
      w.doctor.chat.noteTyping();
      await w.advance(4_100);
    }
    within("presence", "a key every 4.1 s for 1 min", count(w.doctor, "presence"));
  });

  it("a message a second for a minute, typed in between: presence, messages, and the reader's receipts", async () => {
    const w = await ChatWorld.create();
    for (let i = 0; i < 60; i++) {
      for (let k = 0; k < 5; k++) {
        w.doctor.chat.noteTyping();
        await w.advance(200);
      }
      await w.doctor.chat.send(`message ${i}`);
    }
    await w.advance(1_000);
    within("presence", "type 1 s, send, for 1 min", count(w.doctor, "presence"));
    within("message", "type 1 s, send, for 1 min", count(w.doctor, "post"));
    within("receipt", "reading a message a second for 1 min", count(w.patient, "receipt"));
  });

  it("the page hidden and shown every second for a minute", async () => {
    const w = await ChatWorld.create();
    for (let i = 0; i < 60; i++) {
      w.doctor.page.shown = !w.doctor.page.shown;
      w.doctor.chat.visibilityChanged();
      await w.advance(1_000);
    }
    within("presence", "page hidden or shown every second for 1 min", count(w.doctor, "presence"));
  });

  it("forty messages written offline go at once when back; a burst is read with one receipt", async () => {
    const w = await ChatWorld.create();
    w.doctor.offline();
    for (let i = 0; i < 40; i++) await w.doctor.chat.send(`offline ${i}`);
    await w.advance(1_000);
    const tried = count(w.doctor, "post"); // while offline: requests that never reached the server
    w.doctor.online();
    await w.advance(1_000);
    within("message", "40 messages written offline, sent on return", count(w.doctor, "post") - tried);
    within("receipt", "reading those 40", count(w.patient, "receipt"));
  });
});
