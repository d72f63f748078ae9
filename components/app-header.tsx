import Link from "next/link";
import { Brand } from "./ui/brand";
import { SignOutButton } from "./sign-out-button";
import { IdleLogoff } from "./idle-logoff";

/** The header of staff pages: home, the account page, sign out; and idle logoff. */
export function AppHeader({ name, home, idleMs }: { name: string; home: string; idleMs: number }) {
  return (
    <header className="border-b border-slate-200 bg-white">
      <div className="mx-auto flex max-w-5xl items-center justify-between gap-4 px-4 py-3">
        <Link href={home} aria-label="Home">
          <Brand />
        </Link>
        <div className="flex items-center gap-3 text-sm">
          <Link href="/account" className="hidden text-slate-600 underline-offset-2 hover:underline sm:inline" data-testid="account-link">
            {name}
          </Link>
          <SignOutButton />
        </div>
      </div>
      <IdleLogoff idleMs={idleMs} />
    </header>
  );
}
