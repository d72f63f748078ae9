export function Brand({ className = "" }: { className?: string }) {
  return (
    <div className={`flex items-center gap-2 ${className}`}>
      <span aria-hidden className="grid size-8 place-items-center rounded-lg bg-brand-600 font-bold text-white">
        P
      </span>
      <span className="text-lg font-semibold tracking-tight text-brand-900">Parley</span>
    </div>
  );
}
