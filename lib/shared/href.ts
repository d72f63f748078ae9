/** A path with its query string, leaving out empty values: `hrefWith("/admin/audit", { consult: "…", action: "" })`. */
export function hrefWith(path: string, params: Record<string, string>): string {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== ""));
  return q.size ? `${path}?${q}` : path;
}

/** A page's search params as one value per key (a GET form sends each once). */
export function singleValues(search: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(search)) if (typeof v === "string") out[k] = v;
  return out;
}
