// Issue 20, item 5: a message id tells the server nothing. Clients make random UUID v4s; the route
// still takes a v7 (an earlier version's message, waiting in an outbox) and refuses anything else.
import { describe, expect, it } from "vitest";
import { messageId } from "@/lib/shared/api";
import { uuidV7 } from "../../e2e/support/keys";

describe("message ids", () => {
  it("takes a random v4, and an earlier client's v7", () => {
    expect(messageId.safeParse(crypto.randomUUID()).success).toBe(true);
    expect(messageId.safeParse(uuidV7()).success).toBe(true);
  });

  it("refuses other versions, upper case and what is not a UUID", () => {
    for (const id of ["6ba7b810-9dad-11d1-80b4-00c04fd430c8", crypto.randomUUID().toUpperCase(), "not-a-uuid", ""]) {
      expect(messageId.safeParse(id).success, id).toBe(false);
    }
  });
});
