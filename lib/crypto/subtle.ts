// WebCrypto, or a clear refusal. Browsers expose it only in secure contexts (https, localhost):
// without it Parley sends nothing at all rather than anything unencrypted.
export class CryptoUnavailableError extends Error {
  override readonly name = "CryptoUnavailableError";
  constructor() {
    super("WebCrypto is not available: the page must be served over HTTPS (or from localhost)");
  }
}

export function cryptoAvailable(): boolean {
  return typeof globalThis.crypto !== "undefined" && typeof globalThis.crypto.subtle !== "undefined" && typeof globalThis.crypto.getRandomValues === "function";
}

export function subtle(): SubtleCrypto {
  if (!cryptoAvailable()) throw new CryptoUnavailableError();
  return globalThis.crypto.subtle;
}

export function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  if (!cryptoAvailable()) throw new CryptoUnavailableError();
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

/** Refused input: a bad signature, a key not on the curve, a failed decryption, a broken rule. */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
}
