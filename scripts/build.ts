// `npm run build`: the production build in .next/standalone (scripts/lib/production-build.ts).
import { productionBuild } from "./lib/production-build";

const t0 = Date.now();
if (!(await productionBuild(process.cwd()))) {
  console.error("[parley] the build failed; see the messages above.");
  process.exit(1);
}
console.log(`[parley] built in ${((Date.now() - t0) / 1000).toFixed(1)} s: .next/standalone (run it with npm start)`);
