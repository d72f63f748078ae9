// The decrypted transcript a doctor can attach to the medical record: plain UTF-8 text with the
// consult, who exported it and when, the verification state, and every message with its time
// (UTC, the sender's clock), sender, state, and the gaps and unverifiable messages as such.
// Pure: lib/client/chat/chat-session.ts turns it into a download on the device.
import type { ChatItem } from "./chat-log";

export type TranscriptPerson = { userId: string; name: string; role: "doctor" | "patient" };

export type TranscriptInput = {
  consultId: string;
  consultLabel: string;
  items: ChatItem[];
  people: TranscriptPerson[];
  exportedAt: Date;
  exportedBy: string;
  /** whether the two devices compared their call code (or safety number) */
  verification: "verified" | "not-verified";
  brokenLinks: number;
};

const utc = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d{3}Z$/, " UTC");

export function transcript(t: TranscriptInput): string {
  const name = (userId: string) => {
    const p = t.people.find((x) => x.userId === userId);
    return p ? `${p.name} (${p.role})` : "an unknown device";
  };
  const lines = [
    "Parley consult transcript",
    `Consult: ${t.consultLabel} (${t.consultId})`,
    `Exported: ${utc(t.exportedAt.getTime())} by ${t.exportedBy}, decrypted on their device`,
    `End-to-end encryption: ${t.verification === "verified" ? "verified — the participants compared their call code" : "NOT VERIFIED — the call code was not compared (trust on first use)"}`,
    ...(t.brokenLinks > 0 ? [`WARNING: ${t.brokenLinks} message(s) do not chain to the sender's previous message; the history may have been altered.`] : []),
    "Times are the senders' clocks.",
    "",
  ];
  for (const i of t.items) {
    if (i.type === "gap") {
      const n = i.to - i.from + 1;
      lines.push(`[${n} message(s) from ${name(i.senderUserId)} ${i.withheld ? "were sent but never delivered by the server" : "are missing"} (numbers ${i.from}–${i.to})]`);
      continue;
    }
    const who = name(i.senderUserId);
    if (i.state === "unverifiable") {
      lines.push(`${utc(i.at)}  ${who}: [could not be verified — ${i.problem ?? "unknown reason"}]`);
      continue;
    }
    const flags = [i.state === "sending" ? "not yet sent" : i.state === "failed" ? "NOT SENT" : "", i.senderVerified ? "" : "sender not verified"].filter(Boolean);
    const body = (i.body ?? "").replace(/\r?\n/g, "\n    ");
    lines.push(`${utc(i.at)}  ${who}${flags.length ? ` [${flags.join(", ")}]` : ""}: ${body}`);
  }
  if (t.items.length === 0) lines.push("(no messages)");
  return lines.join("\n") + "\n";
}
