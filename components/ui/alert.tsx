export function Alert({ tone = "error", children, testId }: { tone?: "error" | "info" | "warning"; children: React.ReactNode; testId?: string }) {
  const color = tone === "error" ? "border-red-200 bg-red-50 text-red-800" : tone === "warning" ? "border-amber-200 bg-amber-50 text-amber-900" : "border-brand-100 bg-brand-50 text-brand-900";
  return (
    <div role={tone === "error" ? "alert" : "status"} data-testid={testId} className={`rounded-xl border px-4 py-3 text-sm ${color}`}>
      {children}
    </div>
  );
}
