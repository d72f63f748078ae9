import "server-only";
// The server's log: one JSON object per line on stdout (pino), for a container runtime, a log
// collector or Vercel's log drain; LOG_FORMAT=text prints plain "[parley] …" lines instead (what
// `npm start` uses in a terminal). Entries carry the request id where there is one, and never
// personal data: no names, emails, addresses, message or document contents, or link tokens.
import pino, { type Logger } from "pino";

const LEVELS: Record<number, string> = { 10: "trace", 20: "debug", 30: "info", 40: "warning", 50: "error", 60: "fatal" };

/** "[parley] message key=value …" for a human at a terminal; warnings and errors to stderr. */
function textLine(line: string): void {
  const { level, msg, time: _time, service: _service, err, ...rest } = JSON.parse(line) as Record<string, unknown> & { level: number; msg?: string; err?: { message?: string; stack?: string } };
  const fields = Object.entries(rest).map(([k, v]) => ` ${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
  const head = level >= 40 ? `[parley] ${LEVELS[level] ?? level}: ` : "[parley] ";
  const text = `${head}${msg ?? ""}${fields.join("")}${err ? `\n${err.stack ?? err.message ?? ""}` : ""}\n`;
  (level >= 40 ? process.stderr : process.stdout).write(text);
}

function makeLogger(): Logger {
  const options = { base: { service: "parley" }, level: process.env.LOG_LEVEL ?? "info", timestamp: pino.stdTimeFunctions.isoTime };
  return process.env.LOG_FORMAT === "text" ? pino(options, { write: textLine }) : pino(options);
}

const g = globalThis as { __parleyLog?: Logger };

/** The process's logger (one per process, shared by Next's bundles and scripts/serve.ts). */
export function getLog(): Logger {
  g.__parleyLog ??= makeLogger();
  return g.__parleyLog;
}

/** An error as a log field: its name, message and stack, nothing else it may carry. */
export function errField(err: unknown): { name: string; message: string; stack?: string } {
  return err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : { name: "Error", message: String(err) };
}
