// How long unlocking the key backup takes in Chromium (PROTOCOL §7.3): Argon2id with the backup's
// parameters (BACKUP_KDF, OWASP's 19 MiB, 2 passes, 1 lane) through hash-wasm, the library the
// browser uses, in a page served from 127.0.0.1 by a throwaway server started here. One derivation
// is what setting the passphrase and restoring each cost before the keys are sealed or opened.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { BACKUP_KDF } from "../lib/crypto/passphrase-backup";
import { benchPage } from "./lib/bench-page";
import { summarize, type Summary } from "./lib/stats";

export type BackupKdfResult = { params: { memoryKiB: number; iterations: number; parallelism: number }; ms: Summary };

const ARGON2_UMD = createRequire(import.meta.url).resolve("hash-wasm/dist/argon2.umd.min.js");

export async function backupKdf(runs = 12): Promise<BackupKdfResult> {
  const { page, close } = await benchPage("backup kdf", { "/argon2.js": readFileSync(ARGON2_UMD) });
  try {
    const { memoryKiB, iterations, parallelism } = BACKUP_KDF;
    const samples = await page.evaluate(
      async ({ memoryKiB, iterations, parallelism, runs }) => {
        type Argon2 = (o: Record<string, unknown>) => Promise<Uint8Array>;
        const argon2id = (globalThis as unknown as { hashwasm: { argon2id: Argon2 } }).hashwasm.argon2id;
        const out: number[] = [];
        for (let i = 0; i <= runs; i++) {
          const t0 = performance.now();
          await argon2id({
            password: "correct horse battery staple",
            salt: crypto.getRandomValues(new Uint8Array(16)),
            memorySize: memoryKiB,
            iterations,
            parallelism,
            hashLength: 32,
            outputType: "binary",
          });
          if (i > 0) out.push(performance.now() - t0); // the first also compiles the module
        }
        return out;
      },
      { memoryKiB, iterations, parallelism, runs },
    );
    return { params: { memoryKiB, iterations, parallelism }, ms: summarize(samples) };
  } finally {
    await close();
  }
}
