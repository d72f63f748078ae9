import { Brand } from "../ui/brand";

/** The narrow centred card of the sign-in, setup and password pages. */
export function CardPage({ title, intro, children }: { title: string; intro?: React.ReactNode; children: React.ReactNode }) {
  return (
    <main className="mx-auto flex min-h-dvh max-w-sm flex-col justify-center px-4 py-12">
      <Brand className="mb-8 justify-center" />
      <div className="rounded-2xl border border-slate-200 bg-white p-6 shadow-sm">
        <h1 className="mb-1 text-xl font-semibold">{title}</h1>
        {intro && <div className="mb-6 text-sm text-slate-600">{intro}</div>}
        {children}
      </div>
    </main>
  );
}
