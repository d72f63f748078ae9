// A well-formed sealed key copy (PROTOCOL §7.1) as a device would post it: random bytes of the
// right sizes (the server cannot tell them from a real box).
import { randomBytes } from "node:crypto";
import type { KeyCopyBody } from "@/lib/shared/keys";

export const BOX_BYTES = { consult: 183, name: 269, pins: 869 } as const;

export function keyCopy(recipient: KeyCopyBody["recipient"], recipientId: string, kind: KeyCopyBody["kind"] = "consult", epoch = 0): KeyCopyBody {
  return { recipient, recipientId, kind, epoch, keyId: randomBytes(16).toString("base64url"), box: randomBytes(BOX_BYTES[kind]).toString("base64url") };
}
