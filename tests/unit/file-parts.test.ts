// How a document is cut for upload (lib/client/files/upload.ts) and how sizes are shown
// (lib/client/chat/message-body.ts): parts end on chunk boundaries and satisfy S3's limits for
// every chunk size a sender may use, and a 2 GiB document fits in S3's 10 000 parts.
import { describe, expect, it } from "vitest";
import { encryptedSize, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE, SIZES } from "@/lib/crypto";
import { FILE_PART } from "@/lib/shared/api";
import { partSizeFor } from "@/lib/client/files/upload";
import { formatBytes, shownMessage } from "@/lib/client/chat/message-body";
import { encodeFileNotice } from "@/lib/crypto";

describe("part size", () => {
  for (const chunk of [MIN_CHUNK_SIZE, 256 * 1024, 1024 * 1024, 1_000_003, MAX_CHUNK_SIZE]) {
    it(`${chunk}-byte chunks: whole chunks per part, within S3's limits, 2 GiB in ≤ 10 000 parts`, () => {
      const part = partSizeFor(chunk);
      expect(part % (chunk + SIZES.tag)).toBe(0);
      expect(part).toBeGreaterThanOrEqual(FILE_PART.min);
      expect(part).toBeLessThanOrEqual(FILE_PART.max);
      expect(Math.ceil(encryptedSize(2 * 1024 ** 3, chunk) / part)).toBeLessThanOrEqual(FILE_PART.maxParts);
    });
  }
  it("is about 8 MiB for the default 256 KiB chunks", () => {
    expect(partSizeFor(256 * 1024)).toBe(32 * (256 * 1024 + 16));
  });
});

describe("what a message shows", () => {
  it("sizes in decimal units", () => {
    expect([0, 1, 999, 1000, 1536, 20_971_520, 2 * 1024 ** 3].map(formatBytes)).toEqual(["0 bytes", "1 byte", "999 bytes", "1 KB", "1.5 KB", "21 MB", "2.1 GB"]);
  });
  it("a document's line names it and carries the notice; a text is itself", () => {
    const notice = {
      fileId: new Uint8Array(16).fill(1),
      key: new Uint8Array(32).fill(2),
      name: "scan.pdf",
      type: "application/pdf",
      size: 1536,
      chunkSize: 65536,
      chunkCount: 1,
      hash: new Uint8Array(32).fill(3),
    };
    const shown = shownMessage({ kind: "file", body: encodeFileNotice(notice) });
    expect(shown.body).toBe("Sent a document: scan.pdf (1.5 KB)");
    expect(shown.file).toEqual(notice);
    expect(shownMessage({ kind: "text", body: new TextEncoder().encode("hello") })).toEqual({ body: "hello" });
    expect(() => shownMessage({ kind: "file", body: new Uint8Array(10) })).toThrow();
  });
});
