import "server-only";
// next-auth (v5), JWT sessions. The token carries only the user id and the id of a Session row:
// every request re-reads both (lib/server/authz.ts), so roles, disabling, signing out and
// revocation never depend on a stale cookie.
// Three credential providers: staff sign in with a passkey, or with email and password (and then
// a second factor, auth/factors.ts); patients redeem an invite.
import NextAuth, { CredentialsSignin } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { guestJoinBody, staffSignInBody } from "@/lib/shared/api";
import { passkeySignInBody } from "@/lib/shared/factors";
import { publicOrigin } from "../origin";
import { relyingParty } from "./passkeys";
import { passkeySignIn } from "./passkey-sign-in";
import { getDb } from "../db";
import { getServerEnv } from "../env";
import { audit } from "../audit";
import { requestIp } from "../net/request-ip";
import { redeemInvite, InviteRefused } from "../guests";
import { passwordSignIn } from "./staff-sign-in";
import { createSession, endSession } from "./sessions";
import { errField, getLog } from "@/lib/server/log";

declare module "next-auth" {
  interface User {
    /** the Session row made at sign-in (auth/sessions.ts) */
    sid?: string;
  }
}

/** A refusal the sign-in page explains (`code` reaches the browser: throttled, or an invite's status). */
class CodedSignInError extends CredentialsSignin {
  constructor(code: string) {
    super();
    this.code = code;
  }
}

export const { handlers, auth, signIn, signOut } = NextAuth(() => ({
  secret: getServerEnv().authSecret,
  trustHost: true,
  session: { strategy: "jwt", maxAge: 12 * 60 * 60 },
  pages: { signIn: "/sign-in", error: "/sign-in" },
  // A refused sign-in is expected traffic (and audited); log only real errors.
  logger: {
    error(error: Error) {
      if (error instanceof CredentialsSignin || error.name === "CredentialsSignin") return;
      getLog().error({ err: errField(error) }, "sign-in failed");
    },
  },
  providers: [
    Credentials({
      id: "staff",
      name: "Email and password",
      credentials: { email: { type: "email" }, password: { type: "password" } },
      async authorize(raw, request) {
        const parsed = staffSignInBody.safeParse(raw);
        if (!parsed.success) return null;
        const r = await passwordSignIn(await getDb(), parsed.data, { ip: requestIp(request), userAgent: request.headers.get("user-agent") });
        if (!r.ok) {
          if (r.code === "throttled") throw new CodedSignInError("throttled");
          return null;
        }
        return { ...r.user, sid: r.sid };
      },
    }),
    Credentials({
      id: "passkey",
      name: "Passkey",
      credentials: { challengeId: { type: "text" }, response: { type: "text" } },
      async authorize(raw, request) {
        const parsed = passkeySignInBody.safeParse(raw);
        if (!parsed.success) return null;
        const client = { ip: requestIp(request), userAgent: request.headers.get("user-agent") };
        const r = await passkeySignIn(await getDb(), relyingParty(publicOrigin(request.headers)), parsed.data, client);
        return r ? { ...r.user, sid: r.sid } : null;
      },
    }),
    Credentials({
      id: "invite",
      name: "Invite link",
      credentials: { token: { type: "text" }, sealedName: { type: "text" } },
      async authorize(raw, request) {
        const parsed = guestJoinBody.safeParse({ token: raw.token, sealedName: raw.sealedName || undefined });
        if (!parsed.success) throw new CodedSignInError("invalid");
        try {
          const db = await getDb();
          const ip = requestIp(request);
          const guest = await redeemInvite(db, parsed.data.token, parsed.data.sealedName, ip);
          const sid = await createSession(db, { userId: guest.userId, method: "invite", ip, userAgent: request.headers.get("user-agent") });
          return { id: guest.userId, name: guest.name, sid };
        } catch (err) {
          if (err instanceof InviteRefused) throw new CodedSignInError(err.status);
          throw err;
        }
      },
    }),
  ],
  events: {
    // "Sign out" ends the session on the server too: the cookie alone would stay valid until it expired.
    async signOut(message) {
      const token = "token" in message ? message.token : null;
      const sid = typeof token?.sid === "string" ? token.sid : undefined;
      if (!sid || !token?.sub) return;
      const db = await getDb();
      await db.$transaction(async (tx) => {
        if (await endSession(tx, sid, "sign_out")) await audit({ action: "auth.sign_out", actorUserId: token.sub }, tx);
      });
    },
  },
  callbacks: {
    // The session id goes into the JWT once, at sign-in; authz checks its row on every request.
    jwt({ token, user }) {
      if (user && typeof user.sid === "string") token.sid = user.sid;
      return token;
    },
    session({ session, token }) {
      if (token.sub) session.user.id = token.sub;
      return session;
    },
  },
}));
