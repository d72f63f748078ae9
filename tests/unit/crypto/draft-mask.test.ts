// The mask an unsealed draft is kept under in the tab (lib/crypto/draft-mask.ts, docs/protocol.md
// §4 "Unsealed drafts"): AES-256-CTR's keystream, XORed synchronously. The vector is NIST SP 800-38A
// (2001), appendix F.5.5 "CTR-AES256.Encrypt": its initial counter f0f1…feff is our nonce
// f0f1…fafb with block number 0xfcfdfeff.
import { describe, expect, it } from "vitest";
import { blocksFor, ctrKeystream, draftCounter, fromHex, generateDraftKey, subtle, toHex, utf8, xorKeystream, fromUtf8 } from "@/lib/crypto";

const NIST = {
  key: "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
  nonce: "f0f1f2f3f4f5f6f7f8f9fafb",
  block: 0xfcfdfeff,
  plaintext: "6bc1bee22e409f96e93d7e117393172a" + "ae2d8a571e03ac9c9eb76fac45af8e51" + "30c81c46a35ce411e5fbc1191a0a52ef" + "f69f2445df4f9b17ad2b417be66c3710",
  ciphertext: "601ec313775789a5b7a7f504bbf3d228" + "f443e3ca4d62b59aca84e990cacaf5c5" + "2b0930daa23de94ce87017ba2d84988d" + "dfc9c58db67aada613c2dd08457941a6",
};

const nistKey = () => subtle().importKey("raw", fromHex(NIST.key), "AES-CTR", false, ["encrypt"]);

describe("draft mask", () => {
  it("is AES-256-CTR: the NIST SP 800-38A F.5.5 vector", async () => {
    const counter = draftCounter(fromHex(NIST.nonce), NIST.block);
    expect(toHex(counter)).toBe("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
    const stream = await ctrKeystream(await nistKey(), counter, 64);
    expect(toHex(xorKeystream(fromHex(NIST.plaintext), stream))).toBe(NIST.ciphertext);
    expect(toHex(xorKeystream(fromHex(NIST.ciphertext), stream))).toBe(NIST.plaintext);
  });

  it("gives the same keystream from any whole block on (how a reloaded page unmasks a draft)", async () => {
    const key = await nistKey();
    const nonce = fromHex(NIST.nonce);
    const whole = await ctrKeystream(key, draftCounter(nonce, 0), 160);
    const fromBlock3 = await ctrKeystream(key, draftCounter(nonce, 3), 40);
    expect(toHex(fromBlock3)).toBe(toHex(whole.subarray(48, 88)));
    // the third block of the NIST vector, taken on its own
    const third = await ctrKeystream(key, draftCounter(nonce, NIST.block + 2), 16);
    expect(toHex(xorKeystream(fromHex(NIST.plaintext.slice(64, 96)), third))).toBe(NIST.ciphertext.slice(64, 96));
  });

  it("masks text so it does not show, and unmasks it at the same place in the keystream", async () => {
    const key = await generateDraftKey();
    expect(key.extractable).toBe(false);
    const nonce = crypto.getRandomValues(new Uint8Array(12));
    const stream = await ctrKeystream(key, draftCounter(nonce, 0), 4096);
    const text = utf8("Blood pressure 120/80, no allergies — Blutdruck ok");
    const at = 5 * 16;
    const masked = xorKeystream(text, stream, at);
    expect(toHex(masked)).not.toContain(toHex(utf8("Blood")));
    const again = await ctrKeystream(key, draftCounter(nonce, at / 16), blocksFor(text.length) * 16);
    expect(fromUtf8(xorKeystream(masked, again))).toBe("Blood pressure 120/80, no allergies — Blutdruck ok");
    // another nonce is another keystream
    const other = await ctrKeystream(key, draftCounter(crypto.getRandomValues(new Uint8Array(12)), at / 16), 64);
    expect(toHex(xorKeystream(masked, other))).not.toBe(toHex(text));
  });

  it("refuses what would reuse or misplace keystream", async () => {
    const key = await nistKey();
    expect(() => draftCounter(new Uint8Array(8), 0)).toThrow(RangeError);
    expect(() => draftCounter(new Uint8Array(12), 2 ** 32)).toThrow(RangeError);
    expect(() => draftCounter(new Uint8Array(12), -1)).toThrow(RangeError);
    // the 32-bit block counter must not wrap into blocks already handed out
    await expect(ctrKeystream(key, draftCounter(new Uint8Array(12), 0xffff_fffe), 48)).rejects.toThrow(RangeError);
    await expect(ctrKeystream(key, draftCounter(new Uint8Array(12), 0xffff_fffe), 32)).resolves.toHaveLength(32);
    expect(() => xorKeystream(new Uint8Array(10), new Uint8Array(16), 8)).toThrow(RangeError);
    expect(blocksFor(0)).toBe(0);
    expect(blocksFor(16)).toBe(1);
    expect(blocksFor(17)).toBe(2);
  });
});
