// Settings the browser needs, as the server hands them to a page at run time (never baked into the
// build: one build serves every deployment). The server computes them from its own settings in
// lib/server/env.ts; components receive them as props and validate nothing themselves.
import { z } from "zod";

export const iceTransportPolicySchema = z.enum(["all", "relay"]);

export const clientSettingsSchema = z.object({
  /** STUN servers, from STUN_URLS */
  stunUrls: z.array(z.string()),
  /** whether TURN is configured; credentials are minted per participant by a route handler */
  turnEnabled: z.boolean(),
  iceTransportPolicy: iceTransportPolicySchema,
  /** largest document accepted (MAX_FILE_BYTES) */
  maxFileBytes: z.number().int().positive(),
  /**
   * TRUST_ON_FIRST_USE: the consult key goes to a device whose signed hello and DTLS binding
   * checked out before the people compared the call code; the room then says "not verified".
   */
  trustOnFirstUse: z.boolean(),
  /** IDLE_TIMEOUT_MINUTES: staff are signed out after this long without interaction, outside a call */
  idleTimeoutMs: z.number().positive(),
});

export type ClientSettings = z.infer<typeof clientSettingsSchema>;
