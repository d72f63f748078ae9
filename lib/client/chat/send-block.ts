// Who may send (PROTOCOL §3): a device sends chat and documents only to a counterpart it verified
// (now, or a pair compared before), or where the clinic allows trust on first use, and only with a
// consult key. Otherwise the reason, for the words the chat panel shows.
import type { E2eeStatus } from "@/lib/rtc/call-state";

export type ChatSendBlock = "no-identity" | "handshaking" | "unverified" | "mismatch" | "key-changed" | "no-key" | "new-key" | "inactive";

export type SendFacts = {
  input: { active: boolean; e2ee: E2eeStatus; trustOnFirstUse: boolean } | undefined;
  /** the counterpart's pinned key was compared before */
  pinVerified: boolean;
  hasKey: boolean;
  /** the current key went to a device on trust: once verified, sending waits for its replacement */
  keyProvisional: boolean;
};

/** Why sending is blocked (undefined: allowed), and whether it is allowed only on trust on first use. */
export function sendBlock({ input, pinVerified, hasKey, keyProvisional }: SendFacts): { block?: ChatSendBlock; tofu: boolean } {
  if (!input) return { block: "inactive", tofu: false };
  const { e2ee } = input;
  const broken = e2ee === "mismatch" || e2ee === "key-changed";
  const verifiedNow = e2ee === "verified" || (pinVerified && !broken);
  const tofu = input.trustOnFirstUse && !verifiedNow && !broken;
  if (!input.active) return { block: "inactive", tofu };
  if (broken) return { block: e2ee, tofu };
  if (!verifiedNow && !tofu) return { block: e2ee === "handshaking" ? "handshaking" : "unverified", tofu };
  if (!hasKey) return { block: "no-key", tofu };
  if (verifiedNow && keyProvisional) return { block: "new-key", tofu };
  return { tofu };
}
