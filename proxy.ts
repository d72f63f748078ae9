// Per-request Content-Security-Policy with a fresh script nonce (Next applies it to its own
// scripts). No third-party origin is allowed anywhere: a page can only talk to this server, and,
// when documents go to S3, to that store's origin (connect-src only), which the browser PUTs
// parts to and GETs ranges from through presigned URLs.
// API routes are outside the matcher: the proxy never touches request bodies or event streams.
// The proxy runs on the Node runtime (Next 16), in the server's own process and settings.
import { NextResponse, type NextRequest } from "next/server";
import { getServerEnv } from "@/lib/server/env";
import { s3BrowserOrigin } from "@/lib/server/storage/s3-origin";

// Worked out on the first request, not at import (`next build` imports this module), then kept.
let connectSrc: string | undefined;
function connectSources(): string {
  if (connectSrc === undefined) {
    const s3 = getServerEnv().s3;
    connectSrc = s3 ? `'self' ${s3BrowserOrigin(s3)}` : "'self'";
  }
  return connectSrc;
}

export function proxy(request: NextRequest) {
  const nonce = btoa(crypto.randomUUID());
  const dev = process.env.NODE_ENV === "development";
  const csp = [
    "default-src 'self'",
    // 'wasm-unsafe-eval' lets WebAssembly compile (Argon2id for the key backup, hash-wasm), and
    // nothing else: JavaScript eval stays refused.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic' 'wasm-unsafe-eval'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' blob: data:",
    "media-src 'self' blob: mediastream:",
    `connect-src ${connectSources()}`,
    "font-src 'self'",
    "worker-src 'self' blob:",
    // decrypted PDFs are previewed in a frame from a blob: URL
    "frame-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
  const headers = new Headers(request.headers);
  headers.set("x-nonce", nonce);
  headers.set("content-security-policy", csp);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("content-security-policy", csp);
  return response;
}

export const config = {
  matcher: [{ source: "/((?!api/|_next/static|_next/image|favicon.ico).*)" }],
};
