// The canonical encoding (PROTOCOL §0): enc(a, b, …) is each field prefixed by its length as a
// 4-byte big-endian integer. Everything signed, hashed, or used as AAD is encoded this way, with
// a label as the first field. Decoding is strict: exactly the expected number of fields, no
// trailing bytes, no length running past the end.
import { concat, u32, type Bytes } from "./bytes";

export class EncodingError extends Error {
  override readonly name = "EncodingError";
}

/** The largest field we accept (a padded chat message fits well inside). */
export const MAX_FIELD = 16 * 1024 * 1024;

export function enc(...fields: Uint8Array[]): Bytes {
  const parts: Uint8Array[] = [];
  for (const f of fields) {
    if (f.length > MAX_FIELD) throw new EncodingError("field too long");
    parts.push(u32(f.length), f);
  }
  return concat(...parts);
}

/** Splits enc(…) back into exactly `count` fields; anything else is refused. */
export function dec(data: Uint8Array, count: number): Bytes[] {
  const out: Bytes[] = [];
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  while (at < data.length) {
    if (out.length === count) throw new EncodingError("trailing bytes after the last field");
    if (at + 4 > data.length) throw new EncodingError("truncated length prefix");
    const len = view.getUint32(at, false);
    at += 4;
    if (len > MAX_FIELD || at + len > data.length) throw new EncodingError("field runs past the end");
    out.push(data.slice(at, at + len));
    at += len;
  }
  if (out.length !== count) throw new EncodingError(`expected ${count} fields, got ${out.length}`);
  return out;
}
