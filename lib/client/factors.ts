// The browser's side of second factors: passkeys through @simplewebauthn/browser (the WebAuthn
// ceremony), the authenticator app's set-up, and the second step of a password sign-in.
import { startAuthentication, startRegistration, WebAuthnError } from "@simplewebauthn/browser";
import { signIn } from "next-auth/react";
import { api, ClientApiError } from "./api";
import { passkeyOptionsAnswer, recoveryCodesAnswer, totpStartAnswer, type FactorsView } from "@/lib/shared/factors";
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/browser";

export type Outcome = { ok: true } | { ok: false; message: string };

function problem(err: unknown): Outcome {
  if (err instanceof ClientApiError) return { ok: false, message: err.message };
  if (err instanceof WebAuthnError || (err instanceof Error && err.name === "NotAllowedError")) {
    return { ok: false, message: "The passkey request was cancelled or timed out. Try again, and follow your browser's prompt." };
  }
  return { ok: false, message: "Something went wrong. Try again." };
}

/** A name for a new passkey from the browser's own description of itself. */
function deviceName(): string {
  const ua = navigator.userAgent;
  const os = /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iPhone or iPad" : /Mac OS X/.test(ua) ? "Mac" : /Windows/.test(ua) ? "Windows" : /Linux/.test(ua) ? "Linux" : "this device";
  return `Passkey on ${os}`;
}

export async function addPasskey(): Promise<Outcome> {
  try {
    const { challengeId, options } = await api.post("/api/account/passkeys/options", {}, passkeyOptionsAnswer);
    const response = await startRegistration({ optionsJSON: options as unknown as PublicKeyCredentialCreationOptionsJSON });
    await api.post("/api/account/passkeys", { challengeId, response, name: deviceName() });
    return { ok: true };
  } catch (err) {
    return problem(err);
  }
}

export async function removePasskey(id: string): Promise<Outcome> {
  try {
    await api.delete(`/api/account/passkeys/${encodeURIComponent(id)}`);
    return { ok: true };
  } catch (err) {
    return problem(err);
  }
}

/** Signs in with a passkey: the browser offers the passkeys it has for this site. */
export async function signInWithPasskey(): Promise<Outcome> {
  try {
    const { challengeId, options } = await api.post("/api/session/passkey-options", {}, passkeyOptionsAnswer);
    const response = await startAuthentication({ optionsJSON: options as unknown as PublicKeyCredentialRequestOptionsJSON });
    const r = await signIn("passkey", { challengeId, response: JSON.stringify(response), redirect: false });
    if (!r || r.error) return { ok: false, message: "That passkey is not registered to an active staff account here." };
    return { ok: true };
  } catch (err) {
    return problem(err);
  }
}

export function startTotp() {
  return api.post("/api/account/totp", {}, totpStartAnswer);
}

export async function confirmTotp(code: string): Promise<{ ok: true; recoveryCodes: string[] } | { ok: false; message: string }> {
  try {
    const r = await api.post("/api/account/totp/confirm", { code }, recoveryCodesAnswer);
    return { ok: true, recoveryCodes: r.recoveryCodes };
  } catch (err) {
    const p = problem(err);
    return p.ok ? { ok: false, message: "Something went wrong." } : p;
  }
}

export async function removeTotp(): Promise<Outcome> {
  try {
    await api.delete("/api/account/totp");
    return { ok: true };
  } catch (err) {
    return problem(err);
  }
}

export async function submitSecondFactor(input: { code: string } | { recoveryCode: string }): Promise<Outcome> {
  try {
    await api.post("/api/session/second-factor", input);
    return { ok: true };
  } catch (err) {
    return problem(err);
  }
}

export type { FactorsView };
