import "server-only";
// The running server's door for `npm run admin`: a Unix socket in DATA_DIR (mode 0600, in a 0700
// folder), so only the account that runs Parley can use it. It exists because the embedded
// database belongs to one process: while the server runs, the command line cannot open it and
// asks the server instead. One JSON line in (`{ argv }`), one JSON line out (a CommandAnswer).
import { chmodSync, rmSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { getDb } from "./db";
import { commandRequest, runCommand, type CommandAnswer } from "./staff/commands";
import { errField, getLog } from "./log";

export const ADMIN_SOCKET_NAME = "admin.sock";
/** sun_path holds 108 bytes on Linux, 104 on macOS */
const MAX_SOCKET_PATH = 100;
const MAX_REQUEST_BYTES = 64 * 1024;

export function adminSocketPath(dataDir: string): string {
  return path.join(dataDir, ADMIN_SOCKET_NAME);
}

async function answer(line: string): Promise<CommandAnswer> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, error: "not JSON" };
  }
  const req = commandRequest.safeParse(value);
  if (!req.success) return { ok: false, error: "not a command" };
  try {
    return await runCommand(await getDb(), req.data.argv);
  } catch (err) {
    getLog().error({ err: errField(err) }, "admin command failed");
    return { ok: false, error: "The command failed on the server; see its log." };
  }
}

function serve(socket: net.Socket): void {
  let buffered = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    buffered += chunk;
    if (buffered.length > MAX_REQUEST_BYTES) {
      socket.destroy();
      return;
    }
    const end = buffered.indexOf("\n");
    if (end < 0) return;
    const line = buffered.slice(0, end);
    socket.pause();
    void answer(line).then((a) => socket.end(JSON.stringify(a) + "\n"));
  });
  socket.on("error", () => undefined);
}

/** Listens on DATA_DIR/admin.sock; a socket file left by a server that died is replaced. */
export function listenAdminSocket(dataDir: string): void {
  const file = adminSocketPath(dataDir);
  if (file.length > MAX_SOCKET_PATH) {
    getLog().warn("DATA_DIR's path is too long for the admin socket; `npm run admin` works only while the server is stopped (embedded database)");
    return;
  }
  const server = net.createServer(serve);
  const listen = () =>
    server.listen(file, () => {
      chmodSync(file, 0o600);
      process.once("exit", () => rmSync(file, { force: true }));
    });
  server.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EADDRINUSE") {
      getLog().warn({ err: errField(err) }, "the admin socket is unavailable");
      return;
    }
    // Someone answers there: another server on this DATA_DIR (the embedded lock forbids that).
    const probe = net.connect(file);
    probe.on("connect", () => {
      probe.destroy();
      getLog().warn(`another process answers on ${file}; not replacing it`);
    });
    probe.on("error", () => {
      rmSync(file, { force: true });
      listen();
    });
  });
  server.unref();
  listen();
}
