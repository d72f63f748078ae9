// A stand-in for the browser's DTLS certificate (RTCPeerConnection.generateCertificate): only its
// SHA-256 fingerprint matters to the handshake (lib/rtc/handshake.ts puts it in the signed hello).
import { formatDtlsFingerprint, randomBytes } from "@/lib/crypto";
import type { CertificateFactory } from "@/lib/rtc/handshake";

/** "AB:CD:…": 32 random bytes, as SDP and getStats() write a SHA-256 certificate fingerprint. */
export function randomFingerprint(): string {
  return formatDtlsFingerprint(randomBytes(32));
}

export class FakeCertificate implements RTCCertificate {
  readonly expires = Date.now() + 30 * 24 * 3_600_000;

  constructor(readonly fingerprint: string = randomFingerprint()) {}

  getFingerprints(): RTCDtlsFingerprint[] {
    return [{ algorithm: "sha-256", value: this.fingerprint }];
  }
}

/** The SHA-256 fingerprint of a certificate the fake (or a real browser) made. */
export function fingerprintOf(certificate: RTCCertificate): string {
  const fp = certificate.getFingerprints().find((f) => f.algorithm === "sha-256")?.value;
  if (!fp) throw new Error("a certificate without a SHA-256 fingerprint");
  return fp;
}

/** A certificate factory for Handshake.create / CallOptions.newCertificate; `made` lists what it made. */
export function fakeCertificates(): { newCertificate: CertificateFactory; made: FakeCertificate[] } {
  const made: FakeCertificate[] = [];
  return {
    made,
    newCertificate: () => {
      const c = new FakeCertificate();
      made.push(c);
      return Promise.resolve(c);
    },
  };
}
