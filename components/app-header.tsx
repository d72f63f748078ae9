import Link from "next/link";
import { Brand } from "./ui/brand";
import { SignOutButton } from "./sign-out-button";

export function AppHeader({ name, home }: { name: string; home: string }) {
  return (
    <header className="border-b border-slate-200 bg-white">
      <div className="mx-auto flex max-w-5xl items-center justify-between gap-4 px-4 py-3">
        <Link href={home} aria-label="Home">
          <Brand />
        </Link>
        <div className="flex items-center gap-3 text-sm">
          <span className="hidden text-slate-600 sm:inline">{name}</span>
          <SignOutButton />
        </div>
      </div>
    </header>
  );
}
