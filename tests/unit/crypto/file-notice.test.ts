// The `file` chat message body (PROTOCOL §5, lib/crypto/file-notice.ts): vectors written out field
// by field by hand (format 2, which senders write, and format 1 from before documents were padded,
// still read), round trips, the chunk count each format demands, and refusal of anything malformed.
import { describe, expect, it } from "vitest";
import { cleanFileName, decodeFileNotice, encodeFileNotice, fromHex, toHex, type FileNotice } from "@/lib/crypto";

const notice: FileNotice = {
  fileId: fromHex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"),
  key: fromHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"),
  name: "Befund März.pdf",
  type: "application/pdf",
  size: 200_000,
  chunkSize: 65_536,
  chunkCount: 4,
  hash: fromHex("aa".repeat(32)),
};

// Each field: a 4-byte big-endian length, then the bytes (PROTOCOL §0).
const VECTOR = [
  "00000001" + "02", // format 2
  "00000010" + "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", // fileId
  "00000020" + "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", // DK
  "00000010" + "426566756e64204dc3a4727a2e706466", // "Befund März.pdf" (ä = c3 a4)
  "0000000f" + "6170706c69636174696f6e2f706466", // "application/pdf"
  "00000008" + "0000000000030d40", // size 200000
  "00000004" + "00010000", // chunk size 65536
  "00000008" + "0000000000000004", // chunk count 4
  "00000020" + "aa".repeat(32), // M
].join("");
// The same notice as a sender before padding wrote it: only the format differs.
const VECTOR_FORMAT_1 = VECTOR.replace(/^0000000102/, "0000000101");

/** A body with another format, size and chunk count (the integer fields written out by hand). */
const withSize = (vector: string, size: string, count: string) => vector.replace("00000008" + "0000000000030d40", "00000008" + size).replace("00000008" + "0000000000000004", "00000008" + count);

describe("file notice", () => {
  it("encodes to the hand-written vector (format 2) and decodes back", () => {
    expect(toHex(encodeFileNotice(notice))).toBe(VECTOR);
    expect(decodeFileNotice(fromHex(VECTOR))).toEqual(notice);
  });

  it("still decodes format 1, marked unpadded, but never writes it", () => {
    expect(decodeFileNotice(fromHex(VECTOR_FORMAT_1))).toEqual({ ...notice, unpadded: true });
    expect(() => encodeFileNotice({ ...notice, unpadded: true })).toThrow(/format 2/);
  });

  it("format 2 counts the chunks of the padded size, format 1 those of the size", () => {
    // 4 MiB + 1 bytes: 65 chunks of 64 KiB, but padded to 4 MiB + 128 KiB it takes 66.
    const size = 4 * 1024 * 1024 + 1;
    const [size4M1, count65, count66] = ["0000000000400001", "0000000000000041", "0000000000000042"];
    expect(decodeFileNotice(fromHex(withSize(VECTOR, size4M1, count66)))).toMatchObject({ size, chunkCount: 66 });
    expect(() => decodeFileNotice(fromHex(withSize(VECTOR, size4M1, count65)))).toThrow(/chunk count/);
    expect(decodeFileNotice(fromHex(withSize(VECTOR_FORMAT_1, size4M1, count65)))).toMatchObject({ size, chunkCount: 65, unpadded: true });
    expect(() => decodeFileNotice(fromHex(withSize(VECTOR_FORMAT_1, size4M1, count66)))).toThrow(/chunk count/);
    expect(toHex(encodeFileNotice({ ...notice, size, chunkCount: 66 }))).toBe(withSize(VECTOR, size4M1, count66));
    expect(() => encodeFileNotice({ ...notice, size, chunkCount: 65 })).toThrow(/chunk count/);
  });

  it("an empty file is one chunk (format 2: 4 KiB of padding)", () => {
    const empty = { ...notice, size: 0, chunkCount: 1, type: "" };
    expect(decodeFileNotice(encodeFileNotice(empty))).toEqual(empty);
  });

  it("refuses a chunk count that does not match the size, and bad field sizes", () => {
    expect(() => encodeFileNotice({ ...notice, chunkCount: 5 })).toThrow(/chunk count/);
    expect(() => encodeFileNotice({ ...notice, key: notice.key.slice(1) })).toThrow(/32 bytes/);
    expect(() => encodeFileNotice({ ...notice, fileId: notice.fileId.slice(1) })).toThrow(/16 bytes/);
    expect(() => encodeFileNotice({ ...notice, chunkSize: 1000 })).toThrow(/chunk size/);
    expect(() => decodeFileNotice(fromHex(VECTOR.replace("0000000000000004", "0000000000000003")))).toThrow(/chunk count/);
    expect(() => decodeFileNotice(fromHex(VECTOR_FORMAT_1.replace("0000000000000004", "0000000000000003")))).toThrow(/chunk count/);
    for (const format of ["00", "03", "ff"]) expect(() => decodeFileNotice(fromHex(VECTOR.replace(/^0000000102/, "00000001" + format)))).toThrow(/format/);
    expect(() => decodeFileNotice(fromHex(VECTOR + "00"))).toThrow(/malformed/);
    expect(() => decodeFileNotice(fromHex(VECTOR.slice(0, -2)))).toThrow(/malformed/);
  });

  it("refuses names that are paths or hide characters, and invalid UTF-8", () => {
    for (const name of ["../etc/passwd", "a/b.pdf", "a\\b.pdf", "x\u0000.pdf", "..", "", "line\nbreak.txt"]) {
      expect(() => encodeFileNotice({ ...notice, name })).toThrow(/file name/);
    }
    const badUtf8 = VECTOR.replace("426566756e64204dc3a4727a2e706466", "426566756e64204dc3ff727a2e706466");
    expect(() => decodeFileNotice(fromHex(badUtf8))).toThrow(/malformed/);
  });

  it("cleanFileName makes any picked name acceptable, and keeps ordinary ones", () => {
    expect(cleanFileName("Lab results 2026-11.pdf")).toBe("Lab results 2026-11.pdf");
    expect(cleanFileName("../../x.pdf")).toBe(".._.._x.pdf");
    expect(cleanFileName("..")).toBe("document");
    const long = "é".repeat(300) + ".pdf";
    expect(new TextEncoder().encode(cleanFileName(long)).length).toBeLessThanOrEqual(255);
    for (const n of ["a/b", "\u0007bell", "..", " spaced "]) expect(() => encodeFileNotice({ ...notice, name: cleanFileName(n) })).not.toThrow();
  });
});
