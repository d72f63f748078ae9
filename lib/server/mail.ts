import "server-only";
// Mail for one-time staff links, only when the clinic set SMTP_URL (nodemailer). The admin always
// sees the link too, so a mail that fails is logged and reported, never fatal.
import nodemailer from "nodemailer";
import { getServerEnv } from "./env";
import { getLog } from "./log";

export type LinkMail = { to: string; name: string; url: string; expiresAt: string; kind: "welcome" | "reset" };

function body(m: LinkMail): { subject: string; text: string } {
  const until = new Date(m.expiresAt).toUTCString();
  if (m.kind === "welcome") {
    return {
      subject: "Your Parley account",
      text: `Hello ${m.name},\n\nYour clinic has added you to Parley. Set your password with this one-time link (it works once, until ${until}):\n\n${m.url}\n\nIf you did not expect this, tell your clinic admin.\n`,
    };
  }
  return {
    subject: "Set a new Parley password",
    text: `Hello ${m.name},\n\nYour clinic admin reset your Parley account. Set a new password with this one-time link (it works once, until ${until}):\n\n${m.url}\n\nIf you did not ask for this, tell your clinic admin.\n`,
  };
}

/** Sends the link when SMTP_URL is set; true if the mail server accepted it. */
export async function mailLink(m: LinkMail): Promise<boolean> {
  const smtp = getServerEnv().smtp;
  if (!smtp) return false;
  try {
    const transport = nodemailer.createTransport(smtp.url);
    await transport.sendMail({ from: smtp.from, to: m.to, ...body(m) });
    return true;
  } catch (err) {
    // The server's message may quote the recipient's address: log only what kind of failure it was.
    getLog().warn({ err: { name: (err as Error).name, code: (err as { code?: string }).code } }, "could not mail a staff link");
    return false;
  }
}
