// `npm run admin -- <command>`: staff accounts from the command line (lib/server/staff/commands.ts).
// With the embedded database the running server holds it, so the command goes to the server's
// admin socket in DATA_DIR; with no server running (or with PostgreSQL) it opens the database.
import { readFileSync } from "node:fs";
import net from "node:net";
import { settingsOrExit } from "./lib/settings";
import { adminSocketPath } from "../lib/server/admin-socket";
import { openDatabase } from "../lib/server/db";
import { runCommand, type CommandAnswer } from "../lib/server/staff/commands";
import { describeReport } from "../lib/server/audit/chain";
import { checkExport } from "../lib/server/audit/export-check";

function viaSocket(file: string, argv: string[]): Promise<CommandAnswer | undefined> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(file);
    let text = "";
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.write(JSON.stringify({ argv }) + "\n"));
    socket.on("data", (chunk: string) => (text += chunk));
    socket.on("end", () => {
      try {
        resolve(JSON.parse(text) as CommandAnswer);
      } catch {
        reject(new Error("The server's admin socket gave no answer; see the server's log."));
      }
    });
    socket.on("error", (err: NodeJS.ErrnoException) => {
      // No server there: open the database here instead.
      if (err.code === "ENOENT" || err.code === "ECONNREFUSED") resolve(undefined);
      else reject(err);
    });
  });
}

/** `audit-verify --file <export.jsonl>`: an export is checked here, with no database and no server. */
function verifyFile(file: string): number {
  const r = checkExport(readFileSync(file, "utf8"));
  if (r.error) {
    console.error(r.error);
    return 1;
  }
  const scope = r.header && Object.keys(r.header.filter).length ? `filtered by ${JSON.stringify(r.header.filter)}` : "the whole trail";
  console.log(`${file}: exported ${r.header?.exportedAt ?? "?"}, ${scope}; the trail's head then: row ${r.header?.chainHead?.id ?? "-"} ${r.header?.chainHead?.hash ?? ""}`);
  console.log(describeReport(r));
  return r.firstBroken ? 1 : 0;
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === "audit-verify" && argv[1] === "--file") {
    if (!argv[2]) throw new Error("audit-verify --file needs the path of a JSON-lines export");
    return verifyFile(argv[2]);
  }
  const env = settingsOrExit();
  let answer = env.embedded ? await viaSocket(adminSocketPath(env.dataDir), argv) : undefined;
  if (!answer) {
    const open = await openDatabase({ databaseUrl: env.databaseUrl, directUrl: env.directDatabaseUrl, dataDir: env.dataDir });
    try {
      answer = await runCommand(open.db, argv);
    } finally {
      await open.close();
    }
  }
  if (answer.ok) {
    console.log(answer.output);
    return 0;
  }
  console.error(answer.error);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error((err as Error).message);
    process.exit(1);
  },
);
