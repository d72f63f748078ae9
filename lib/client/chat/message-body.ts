// What an opened chat message shows (pure): the text, or for a document (kind `file`, PROTOCOL §5)
// a line naming it plus the decoded notice the documents list works from. Throws on a malformed
// body, which makes the message unverifiable.
import { decodeFileNotice, fromUtf8, type ChatMessage, type FileNotice } from "@/lib/crypto";

export type ShownMessage = { body: string; file?: FileNotice };

const UNITS = ["bytes", "KB", "MB", "GB"] as const;

/** 1536 → "1.5 KB", 20_971_520 → "21 MB" (decimal units, as file managers show them). */
export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1000 && u < UNITS.length - 1) {
    v /= 1000;
    u++;
  }
  if (u === 0) return `${n} ${n === 1 ? "byte" : "bytes"}`;
  return `${v >= 10 ? Math.round(v) : Math.round(v * 10) / 10} ${UNITS[u]}`;
}

export function shownMessage(m: Pick<ChatMessage, "kind" | "body">): ShownMessage {
  if (m.kind === "text") return { body: fromUtf8(m.body) };
  const file = decodeFileNotice(m.body);
  return { body: `Sent a document: ${file.name} (${formatBytes(file.size)})`, file };
}
