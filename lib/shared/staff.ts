// zod schemas for first run and staff management (`/setup`, `/account/setup`, `/api/admin/staff`),
// shared by the route handlers, the admin command line and the browser.
import { z } from "zod";
import { displayName, uuid } from "./api";

export const staffRole = z.enum(["doctor", "admin"]);
export type StaffRole = z.infer<typeof staffRole>;

export const staffEmail = z.string().trim().toLowerCase().pipe(z.email("Enter an email address").max(254));

/** One-time account link tokens: 32 random bytes, base64url (43 characters). */
export const accountLinkToken = z.string().regex(/^[A-Za-z0-9_-]{43}$/, "not a link token");
export const accountLinkParams = z.object({ token: accountLinkToken });

/**
 * A password as typed: the length and common-password rules are checked by the server
 * (lib/server/auth/password-policy.ts), which answers what is wrong in words.
 */
export const newPassword = z.string().max(1024, "Use at most 1024 characters");

export const setupBody = z.object({ token: accountLinkToken, name: displayName, email: staffEmail, password: newPassword }).strict();
export const passwordLinkBody = z.object({ token: accountLinkToken, password: newPassword }).strict();
/** Who the link belonged to, so the browser can sign them in with the password just set. */
export const accountAnswer = z.object({ email: z.string(), role: staffRole });

export const createStaffBody = z.object({ name: displayName, email: staffEmail, role: staffRole }).strict();
export const staffParams = z.object({ id: uuid });
export const staffRoleBody = z.object({ role: staffRole }).strict();

export const staffState = z.enum(["pending", "active", "disabled"]);
export type StaffState = z.infer<typeof staffState>;

export const staffView = z.object({
  id: uuid,
  name: z.string(),
  email: z.string(),
  role: staffRole,
  state: staffState,
  createdAt: z.string(),
});
export type StaffView = z.infer<typeof staffView>;

export const linkView = z.object({ url: z.string(), expiresAt: z.string() });
export type LinkView = z.infer<typeof linkView>;

export const staffAnswer = z.object({ staff: staffView });
export const staffListAnswer = z.object({ staff: z.array(staffView) });
/** A new staff member or a reset: the one-time link to show to the admin (and mailed, with SMTP_URL). */
/** "Sign out everywhere": how many sessions ended. */
export const signedOutAnswer = z.object({ ended: z.number().int() });
export const staffLinkAnswer = z.object({ staff: staffView, link: linkView, mailed: z.boolean() });

/** One of a staff member's live sessions, as their account page lists it. */
export type SessionView = { id: string; method: string; createdAt: string; lastActiveAt: string; ip: string | null; userAgent: string | null; current: boolean };
