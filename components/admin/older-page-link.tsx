import { hrefWith } from "@/lib/shared/href";

/** The link to the next (older) page of a keyset-paged admin list, keeping the filter; nothing on the last page. */
export function OlderPageLink({ path, params, before, label, testId }: { path: string; params: Record<string, string>; before: string | undefined; label: string; testId: string }) {
  if (!before) return null;
  return (
    <div className="border-t border-slate-200 px-5 py-3 text-sm">
      <a href={hrefWith(path, { ...params, before })} className="text-brand-700 underline" data-testid={testId}>
        {label}
      </a>
    </div>
  );
}
