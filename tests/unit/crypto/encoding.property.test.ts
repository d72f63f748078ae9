// Property tests (fast-check) for the canonical encodings: enc/dec, hex, base64url, UUIDs, and the
// hello encoding. Round trips for any input; strict refusal of anything that is not exactly what
// the encoder would have produced.
import fc from "fast-check";
import { describe, expect, it } from "vitest";

import {
  bytesToUuid,
  dec,
  decodeHello,
  enc,
  EncodingError,
  encodeHello,
  fromBase64Url,
  fromHex,
  MAX_FIELD,
  ProtocolError,
  toBase64Url,
  toHex,
  u32,
  utf8,
  uuidBytes,
  version,
  type Hello,
} from "@/lib/crypto";

const fields = fc.array(fc.uint8Array({ maxLength: 48 }), { maxLength: 8 });
const NUM_RUNS = { numRuns: 300 };

describe("enc / dec", () => {
  it("round-trips any list of byte arrays", () => {
    fc.assert(
      fc.property(fields, (fs) => {
        const e = enc(...fs);
        expect(e.length).toBe(fs.reduce((n, f) => n + 4 + f.length, 0));
        expect(dec(e, fs.length)).toEqual(fs);
      }),
      NUM_RUNS,
    );
  });

  it("dec with any other field count refuses", () => {
    fc.assert(
      fc.property(fields, fc.integer({ min: 0, max: 12 }), (fs, count) => {
        fc.pre(count !== fs.length);
        expect(() => dec(enc(...fs), count)).toThrow(EncodingError);
      }),
      NUM_RUNS,
    );
  });

  it("any truncation refuses", () => {
    fc.assert(
      fc.property(
        fields.filter((fs) => fs.length > 0),
        fc.nat(),
        (fs, cut) => {
          const e = enc(...fs);
          const keep = cut % e.length; // 0 … length-1 bytes kept
          expect(() => dec(e.subarray(0, keep), fs.length)).toThrow(EncodingError);
        },
      ),
      NUM_RUNS,
    );
  });

  it("every truncation of one encoding refuses (exhaustive)", () => {
    const fs = [utf8("parley/v1/msg"), new Uint8Array(0), new Uint8Array(16).fill(7), Uint8Array.of(0)];
    const e = enc(...fs);
    for (let keep = 0; keep < e.length; keep++) expect(() => dec(e.subarray(0, keep), fs.length), `keep ${keep}`).toThrow(EncodingError);
  });

  it("any appended bytes refuse", () => {
    fc.assert(
      fc.property(fields, fc.uint8Array({ minLength: 1, maxLength: 8 }), (fs, extra) => {
        const e = enc(...fs);
        const longer = new Uint8Array(e.length + extra.length);
        longer.set(e);
        longer.set(extra, e.length);
        expect(() => dec(longer, fs.length)).toThrow(EncodingError);
      }),
      NUM_RUNS,
    );
  });

  it("a length prefix running past the end, or beyond MAX_FIELD, refuses", () => {
    expect(() => dec(Uint8Array.of(0, 0, 0, 2, 0xaa), 1)).toThrow(EncodingError);
    const big = new Uint8Array(8);
    big.set(u32(MAX_FIELD + 1));
    expect(() => dec(big, 1)).toThrow(EncodingError);
    expect(() => enc(new Uint8Array(MAX_FIELD + 1))).toThrow(EncodingError);
  });

  it("decodes a subarray view at its own offset", () => {
    fc.assert(
      fc.property(fields, fc.uint8Array({ maxLength: 5 }), (fs, before) => {
        const e = enc(...fs);
        const buf = new Uint8Array(before.length + e.length);
        buf.set(before);
        buf.set(e, before.length);
        expect(dec(buf.subarray(before.length), fs.length)).toEqual(fs);
      }),
    );
  });
});

describe("hex", () => {
  it("round-trips any bytes, lower case", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const s = toHex(b);
        expect(s).toMatch(/^([0-9a-f]{2})*$/);
        expect(fromHex(s)).toEqual(b);
        expect(fromHex(s.toUpperCase())).toEqual(b);
      }),
      NUM_RUNS,
    );
  });

  it("refuses odd lengths and non-hex characters", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 32 }), fc.nat(), (b, at) => {
        const s = toHex(b);
        expect(() => fromHex(s.slice(1))).toThrow();
        const i = at % s.length;
        for (const bad of ["g", " ", "-", "x", "\n"]) expect(() => fromHex(s.slice(0, i) + bad + s.slice(i + 1))).toThrow();
      }),
    );
    for (const bad of ["0x00", "0", " 00", "00 ", "+1", "-1"]) expect(() => fromHex(bad), bad).toThrow();
  });
});

describe("base64url", () => {
  it("round-trips any bytes without padding or +/", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const s = toBase64Url(b);
        expect(s).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(s.length).toBe(Math.ceil((b.length * 4) / 3));
        expect(fromBase64Url(s)).toEqual(b);
      }),
      NUM_RUNS,
    );
  });

  it("refuses stray bits in the last character (non-canonical)", () => {
    const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 40 }).filter((b) => b.length % 3 !== 0),
        fc.integer({ min: 1, max: 15 }),
        (b, noise) => {
          const s = toBase64Url(b);
          const unused = b.length % 3 === 1 ? 4 : 2; // bits of the last character that carry no data
          const last = ALPHABET.indexOf(s.slice(-1));
          const stray = noise & ((1 << unused) - 1);
          fc.pre(stray !== 0);
          expect(() => fromBase64Url(s.slice(0, -1) + (ALPHABET[last | stray] ?? ""))).toThrow();
        },
      ),
      NUM_RUNS,
    );
  });

  it("refuses padding, the standard alphabet, whitespace and impossible lengths", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), (b) => {
        const s = toBase64Url(b);
        const std = Buffer.from(b).toString("base64");
        if (std !== s) expect(() => fromBase64Url(std)).toThrow(); // padded, or with + and /
        expect(() => fromBase64Url(s + " ")).toThrow();
        expect(() => fromBase64Url(` ${s}`)).toThrow();
        expect(() => fromBase64Url(s + "=")).toThrow();
        if (s.length % 4 === 0) expect(() => fromBase64Url(s + "A")).toThrow(); // length ≡ 1 (mod 4)
      }),
      NUM_RUNS,
    );
    for (const bad of ["A", "AAAAA", "A===", "AA==", "+/8", "a.b", "AA%3D"]) expect(() => fromBase64Url(bad), bad).toThrow();
  });
});

describe("UUIDs", () => {
  const uuid16 = fc.uint8Array({ minLength: 16, maxLength: 16 });

  it("round-trip 16 bytes through the canonical text form", () => {
    fc.assert(
      fc.property(uuid16, (b) => {
        const s = bytesToUuid(b);
        expect(s).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        expect(uuidBytes(s)).toEqual(b);
        expect(uuidBytes(s.toUpperCase())).toEqual(b); // RFC 9562: input is case-insensitive
      }),
      NUM_RUNS,
    );
    expect(uuidBytes(fc.sample(fc.uuid({ version: 7 }), 1)[0] ?? "")).toHaveLength(16);
  });

  it("refuses any other shape", () => {
    fc.assert(
      fc.property(uuid16, fc.nat(), (b, at) => {
        const s = bytesToUuid(b);
        const hex = s.replace(/-/g, "");
        const variants = [
          hex, // no dashes
          `{${s}}`,
          `urn:uuid:${s}`,
          ` ${s}`,
          `${s} `,
          s.slice(1), // one digit short
          `${s}0`, // one digit long
          s.replace("-", ""), // a dash missing
          `${hex.slice(0, 4)}-${hex.slice(4, 8)}-${hex.slice(8, 20)}-${hex.slice(20)}`, // wrong dash positions
        ];
        const i = at % s.length;
        if (s[i] !== "-") variants.push(s.slice(0, i) + "g" + s.slice(i + 1));
        for (const v of variants) expect(() => uuidBytes(v), v).toThrow();
      }),
    );
    expect(() => bytesToUuid(new Uint8Array(15))).toThrow();
    expect(() => bytesToUuid(new Uint8Array(17))).toThrow();
  });
});

describe("encodeHello / decodeHello", () => {
  const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
  const hello: fc.Arbitrary<Hello> = fc.record({
    consultId: bytes(16),
    deviceId: bytes(16),
    sid: bytes(16),
    identity: bytes(91),
    ephemeral: bytes(65),
    dtls: bytes(32),
  });
  const SIZES: [keyof Hello, number][] = [
    ["consultId", 16],
    ["deviceId", 16],
    ["sid", 16],
    ["identity", 91],
    ["ephemeral", 65],
    ["dtls", 32],
  ];

  it("round-trips any hello, as enc(v, …) of its seven fields", () => {
    fc.assert(
      fc.property(hello, (x) => {
        const e = encodeHello(x);
        expect(e).toEqual(enc(version(), x.consultId, x.deviceId, x.sid, x.identity, x.ephemeral, x.dtls));
        expect(decodeHello(e)).toEqual(x);
      }),
      NUM_RUNS,
    );
  });

  it("refuses a field of the wrong size, in both directions", () => {
    fc.assert(
      fc.property(hello, fc.nat(SIZES.length - 1), fc.boolean(), (x, which, longer) => {
        const [k, n] = SIZES[which] ?? ["sid", 16];
        const wrong: Hello = { ...x, [k]: new Uint8Array(longer ? n + 1 : n - 1) };
        expect(() => encodeHello(wrong)).toThrow(ProtocolError);
        expect(() => decodeHello(enc(version(), wrong.consultId, wrong.deviceId, wrong.sid, wrong.identity, wrong.ephemeral, wrong.dtls))).toThrow(ProtocolError);
      }),
    );
  });

  it("refuses another version, a missing or extra field, truncation and trailing bytes", () => {
    fc.assert(
      fc.property(hello, fc.nat(), (x, cut) => {
        const f = [x.consultId, x.deviceId, x.sid, x.identity, x.ephemeral, x.dtls];
        for (const v of ["parley/v2", "parley/v0", "", "Parley/v1", "parley/v1 "]) expect(() => decodeHello(enc(utf8(v), ...f)), v).toThrow(ProtocolError);
        expect(() => decodeHello(enc(version(), ...f.slice(0, 5)))).toThrow(ProtocolError);
        expect(() => decodeHello(enc(version(), ...f, new Uint8Array(0)))).toThrow(ProtocolError);
        const e = encodeHello(x);
        expect(() => decodeHello(e.subarray(0, cut % e.length))).toThrow(ProtocolError);
        const longer = new Uint8Array(e.length + 1);
        longer.set(e);
        expect(() => decodeHello(longer)).toThrow(ProtocolError);
      }),
    );
  });
});
