// DTLS certificate fingerprints (PROTOCOL §2.4): before every peer.signal(), each a=fingerprint
// line of the SDP must be sha-256 and equal the fingerprint in that sender's verified hello, and
// there must be at least one; parseDtlsFingerprint accepts exactly 32 colon-separated hex bytes.
import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { checkSdpFingerprints, formatDtlsFingerprint, parseDtlsFingerprint, ProtocolError, randomBytes, toHex, type Bytes } from "@/lib/crypto";

const fp32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

/** An SDP in the shape browsers produce: a session part and three m-sections (audio, video, data). */
function sdp(opts: { session?: string[]; media?: string[][]; eol?: string }): string {
  const eol = opts.eol ?? "\r\n";
  const media = opts.media ?? [[], [], []];
  const kinds = ["audio 9 UDP/TLS/RTP/SAVPF 111", "video 9 UDP/TLS/RTP/SAVPF 96", "application 9 UDP/DTLS/SCTP webrtc-datachannel"];
  const lines = [
    "v=0",
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0 1 2",
    "a=extmap-allow-mixed",
    "a=msid-semantic: WMS",
    ...(opts.session ?? []),
    ...media.flatMap((extra, i) => [
      `m=${kinds[i % kinds.length] ?? ""}`,
      "c=IN IP4 0.0.0.0",
      "a=ice-ufrag:Ab1c",
      "a=ice-pwd:abcdefghijklmnopqrstuvwx",
      "a=ice-options:trickle",
      ...extra,
      "a=setup:actpass",
      `a=mid:${i}`,
    ]),
  ];
  return lines.join(eol) + eol;
}

const line = (b: Uint8Array, alg = "sha-256") => `a=fingerprint:${alg} ${formatDtlsFingerprint(b)}`;
const mustRefuse = (s: string, expected: Uint8Array) => expect(() => checkSdpFingerprints(s, expected)).toThrow(ProtocolError);

describe("checkSdpFingerprints", () => {
  const ours = randomBytes(32);
  const theirs = randomBytes(32);

  it("accepts matching sha-256 lines: per m-section, at session level, LF or CRLF, any case", () => {
    const l = line(ours);
    expect(() => checkSdpFingerprints(sdp({ media: [[l], [l], [l]] }), ours)).not.toThrow();
    expect(() => checkSdpFingerprints(sdp({ session: [l] }), ours)).not.toThrow();
    expect(() => checkSdpFingerprints(sdp({ session: [l], media: [[l], [], [l]], eol: "\n" }), ours)).not.toThrow();
    expect(() => checkSdpFingerprints(sdp({ media: [[line(ours, "SHA-256")], [l.toLowerCase()], [l]] }), ours)).not.toThrow();
    expect(() => checkSdpFingerprints(sdp({ media: [[l + " "], [], []] }), ours)).not.toThrow(); // trailing whitespace
  });

  it("accepts any fingerprint that matches, and refuses it against any other (property)", () => {
    fc.assert(
      fc.property(fp32, fp32, (a, b) => {
        fc.pre(toHex(a) !== toHex(b));
        const s = sdp({ media: [[line(a)], [line(a)], [line(a)]] });
        expect(() => checkSdpFingerprints(s, a)).not.toThrow();
        mustRefuse(s, b);
      }),
      { numRuns: 100 },
    );
  });

  it("refuses a different fingerprint", () => {
    mustRefuse(sdp({ media: [[line(theirs)], [line(theirs)], [line(theirs)]] }), ours);
    mustRefuse(sdp({ session: [line(theirs)] }), ours);
    const nearly = new Uint8Array(ours);
    nearly[31] = (nearly[31] ?? 0) ^ 1;
    mustRefuse(sdp({ session: [line(nearly)] }), ours);
  });

  it("refuses a sha-1 or other algorithm line, even beside a matching sha-256 line", () => {
    const sha1 = `a=fingerprint:sha-1 ${formatDtlsFingerprint(ours.subarray(0, 20))}`;
    mustRefuse(sdp({ media: [[sha1], [], []] }), ours);
    mustRefuse(sdp({ media: [[line(ours), sha1], [line(ours)], [line(ours)]] }), ours);
    mustRefuse(sdp({ session: [line(ours, "sha-512")] }), ours);
    mustRefuse(sdp({ session: [line(ours, "sha-384")] }), ours);
    mustRefuse(sdp({ session: [line(ours, "sha256")] }), ours);
  });

  it("refuses an SDP without fingerprint lines", () => {
    mustRefuse(sdp({}), ours);
    mustRefuse("", ours);
    mustRefuse(`x=a=fingerprint:sha-256 ${formatDtlsFingerprint(ours)}\r\n`, ours); // not at the start of a line
  });

  it("refuses when one of two lines is wrong, in either position", () => {
    mustRefuse(sdp({ media: [[line(ours)], [line(theirs)], []] }), ours);
    mustRefuse(sdp({ media: [[line(theirs)], [line(ours)], []] }), ours);
    mustRefuse(sdp({ session: [line(ours)], media: [[], [], [line(theirs)]] }), ours);
    mustRefuse(sdp({ session: [line(theirs)], media: [[line(ours)], [line(ours)], [line(ours)]] }), ours);
  });

  it("refuses a sha-256 line whose value is not 32 colon-separated bytes", () => {
    const text = formatDtlsFingerprint(ours);
    for (const bad of [text.slice(0, -3), `${text}:00`, text.replace(/:/g, ""), text.replace(/:/g, "-"), "XX" + text.slice(2)]) {
      mustRefuse(sdp({ session: [`a=fingerprint:sha-256 ${bad}`] }), ours);
      mustRefuse(sdp({ session: [line(ours)], media: [[`a=fingerprint:sha-256 ${bad}`], [], []] }), ours);
    }
  });

  // Regression: found by these tests and fixed in lib/crypto (see the commit that removed it.fails).
  it.each([
    ["two spaces before the value", "a=fingerprint:sha-256  "],
    ["a tab before the value", "a=fingerprint:sha-256\t"],
    ["a space after the colon", "a=fingerprint: sha-256 "],
    ["leading whitespace", " a=fingerprint:sha-256 "],
  ])("refuses an a=fingerprint line it cannot parse instead of skipping it: %s", (_what, prefix) => {
    mustRefuse(sdp({ session: [line(ours)], media: [[prefix + formatDtlsFingerprint(theirs)], [], []] }), ours);
  });

  it("refuses an a=fingerprint line with a third token instead of skipping it", () => {
    mustRefuse(sdp({ session: [line(ours)], media: [[`${line(theirs)} x`], [], []] }), ours);
  });
});

describe("parseDtlsFingerprint", () => {
  it("round-trips 32 bytes through upper-case colon hex, and accepts lower case", () => {
    fc.assert(
      fc.property(fp32, (b) => {
        const text = formatDtlsFingerprint(b);
        expect(text).toMatch(/^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/);
        expect(parseDtlsFingerprint(text)).toEqual(b);
        expect(parseDtlsFingerprint(text.toLowerCase())).toEqual(b);
      }),
      { numRuns: 200 },
    );
  });

  it("refuses anything but exactly 32 two-digit hex groups separated by single colons", () => {
    fc.assert(
      fc.property(fp32, fc.nat(), (b, at) => {
        const text = formatDtlsFingerprint(b);
        const pairs = text.split(":");
        const i = at % pairs.length;
        const variants = [
          "",
          text.slice(0, -3), // 31 bytes
          `${text}:AB`, // 33 bytes
          `${text}:`,
          `:${text}`,
          text.replace(/:/g, ""),
          text.replace(/:/g, "-"),
          text.replace(/:/g, " "),
          text.replace(":", "::"),
          `sha-256 ${text}`,
          pairs.map((p, j) => (j === i ? (p[0] ?? "") : p)).join(":"), // a one-digit group
          pairs.map((p, j) => (j === i ? `${p}0` : p)).join(":"), // a three-digit group
          pairs.map((p, j) => (j === i ? "G0" : p)).join(":"),
          pairs.map((p, j) => (j === i ? `${p[0] ?? ""} ${p[1] ?? ""}` : p)).join(":"),
        ];
        for (const v of variants) expect(() => parseDtlsFingerprint(v), JSON.stringify(v)).toThrow(ProtocolError);
      }),
      { numRuns: 100 },
    );
  });

  it("tolerates only surrounding whitespace (the bytes are the same)", () => {
    const b: Bytes = randomBytes(32);
    expect(parseDtlsFingerprint(` ${formatDtlsFingerprint(b)}\r\n`)).toEqual(b);
  });
});
