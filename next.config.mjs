// Security headers for every response; the per-request CSP with its script nonce is set in proxy.ts.
/** @type {import('next').NextConfig} */
const securityHeaders = [
  { key: "X-Content-Type-Options", value: "nosniff" },
  // Invite links carry a secret token in the path: never send it on as a Referer.
  { key: "Referrer-Policy", value: "no-referrer" },
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
  { key: "Permissions-Policy", value: "camera=(self), microphone=(self), display-capture=(self), geolocation=(), payment=()" },
  { key: "Strict-Transport-Security", value: "max-age=31536000; includeSubDomains" },
];

const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // .next/standalone runs on its own (`node parley.mjs`): what `npm start` and the image run.
  output: "standalone",
  // `npm test` type-checks the whole project (tsc --noEmit) before anything is built; doing it again
  // in every `next build` would only slow down `npm start`.
  typescript: { ignoreBuildErrors: true },
  // Native or WASM packages loaded by the server at run time, not bundled.
  serverExternalPackages: ["@electric-sql/pglite", "pglite-prisma-adapter", "pg", "@prisma/adapter-pg"],
  // The migration SQL is read at run time; keep it in traced output (standalone, Vercel).
  outputFileTracingIncludes: { "/**": ["./prisma/migrations/**/*"] },
  // Parley has no next/image; without the optimiser the build can leave sharp out (production-build.ts).
  images: { unoptimized: true },
  async headers() {
    return [{ source: "/:path*", headers: securityHeaders }];
  },
};

export default nextConfig;
