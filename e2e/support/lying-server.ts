// What a lying server can do to the handshake in flight, played by a Playwright route on one side's
// outgoing signals (the server's view of them, before they reach the log): rewrite any signal, or
// substitute a whole hello of its own (its own identity, ephemeral key and DTLS fingerprint, with
// the patient's ids), committed to in the commit it also rewrites.
import type { BrowserContext, Page, Route } from "@playwright/test";
import { commitment, encodeHello, fromBase64Url, generateEphemeral, generateSigningKey, randomBytes, signHello, toBase64Url, uuidBytes } from "../../lib/crypto";

export type SignalBody = { to?: string; type: string; payload: Record<string, unknown> };

/** Rewrites the page's outgoing signals before they reach the server's log (`consultId`: the request's). */
export async function rewriteSignals(page: Page, rewrite: (body: SignalBody, consultId: string) => Promise<SignalBody>): Promise<void> {
  await page.route("**/api/consults/*/signals", async (route: Route) => {
    const raw = route.request().postData();
    if (!raw) return route.continue();
    const body = JSON.parse(raw) as SignalBody;
    const consultId = /\/api\/consults\/([^/]+)\/signals/.exec(new URL(route.request().url()).pathname)?.[1] ?? "";
    await route.continue({ postData: JSON.stringify(await rewrite(body, consultId)) });
  });
}

/** Keeps every signal the page or context sends (unchanged; a page's own rewriting route goes first). */
export async function recordSignals(target: Page | BrowserContext, seen: SignalBody[] = []): Promise<SignalBody[]> {
  await target.route("**/api/consults/*/signals", async (route: Route) => {
    const raw = route.request().postData();
    if (raw) seen.push(JSON.parse(raw) as SignalBody);
    await route.continue();
  });
  return seen;
}

/**
 * Substitutes the attacker's own hello for each of the page's sessions: the commit and the reveal
 * are rewritten to match. Install it before the patient joins: the room sends its first commit
 * from the waiting room, and a server that lies lies from the start (a commit it let through
 * unchanged would make the forged reveal a changed commitment, refused as such). Returns the sids
 * of the forged sessions.
 */
export async function substituteHellos(page: Page): Promise<Set<string>> {
  const attacker = await generateSigningKey();
  const forged = new Map<string, { hello: Uint8Array; sig: Uint8Array; c: Uint8Array }>();
  let device = "";
  const forge = async (sid: string, consultId: string) => {
    let f = forged.get(sid);
    if (!f) {
      const hello = encodeHello({
        consultId: uuidBytes(consultId),
        deviceId: uuidBytes(device),
        sid: fromBase64Url(sid),
        identity: attacker.spki,
        ephemeral: (await generateEphemeral()).publicRaw,
        dtls: randomBytes(32),
      });
      f = { hello, sig: await signHello(attacker.privateKey, hello), c: await commitment(hello) };
      forged.set(sid, f);
    }
    return f;
  };
  await rewriteSignals(page, async (body, consultId) => {
    const p = body.payload;
    if (body.type === "commit" && typeof p.sid === "string" && typeof p.deviceId === "string") {
      device = p.deviceId;
      return { ...body, payload: { ...p, c: toBase64Url((await forge(p.sid, consultId)).c) } };
    }
    if (body.type === "reveal" && typeof p.sid === "string") {
      const f = await forge(p.sid, consultId);
      return { ...body, payload: { ...p, hello: toBase64Url(f.hello), sig: toBase64Url(f.sig) } };
    }
    return body;
  });
  return new Set(forged.keys());
}
