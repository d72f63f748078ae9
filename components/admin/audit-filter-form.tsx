/** The audit viewer's filter: a plain GET form, so a filtered view is a link an officer can keep. */
export function AuditFilterForm({ staff, values }: { staff: { id: string; label: string }[]; values: Record<string, string> }) {
  const field = "mt-1 block w-full rounded-lg border border-slate-300 px-3 py-2 text-sm";
  return (
    <form method="get" action="/admin/audit" className="grid gap-4 px-5 py-4 sm:grid-cols-2 lg:grid-cols-6" data-testid="audit-filter">
      <label className="text-sm lg:col-span-2">
        Person (acted or acted on)
        <select name="person" defaultValue={values.person ?? ""} className={field} data-testid="audit-filter-person">
          <option value="">Anyone</option>
          {staff.map((s) => (
            <option key={s.id} value={s.id}>
              {s.label}
            </option>
          ))}
        </select>
      </label>
      <label className="text-sm lg:col-span-2">
        Consult id
        <input name="consult" defaultValue={values.consult ?? ""} placeholder="e.g. 3f0c…" className={`${field} font-mono`} data-testid="audit-filter-consult" />
      </label>
      <label className="text-sm lg:col-span-2">
        Action or family
        <input name="action" defaultValue={values.action ?? ""} placeholder="records.document_fetched, or records" className={`${field} font-mono`} data-testid="audit-filter-action" />
      </label>
      <label className="text-sm lg:col-span-2">
        From (UTC)
        <input name="from" type="datetime-local" defaultValue={values.from ?? ""} className={field} data-testid="audit-filter-from" />
      </label>
      <label className="text-sm lg:col-span-2">
        Until (UTC)
        <input name="to" type="datetime-local" defaultValue={values.to ?? ""} className={field} data-testid="audit-filter-to" />
      </label>
      <div className="flex items-end gap-3 lg:col-span-2">
        <button type="submit" className="inline-flex min-h-11 items-center rounded-xl bg-brand-600 px-4 py-2 text-sm font-medium text-white hover:bg-brand-700" data-testid="audit-filter-apply">
          Search
        </button>
        <a href="/admin/audit" className="text-sm text-brand-700 underline">
          Clear
        </a>
      </div>
    </form>
  );
}
