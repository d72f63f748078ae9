// The server's settings for a script (start, admin): validated as the server does, and a wrong
// value ends the script with the message naming it instead of a stack trace.
import { parseServerEnv, SettingsError, type ServerEnv } from "../../lib/server/env";

export function settingsOrExit(): ServerEnv {
  try {
    return parseServerEnv(process.env);
  } catch (err) {
    if (err instanceof SettingsError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}
