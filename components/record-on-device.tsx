"use client";

import { useEffect, useState } from "react";
import { holdsRecordKey } from "@/lib/client/key-backup";

/**
 * On the doctor's past consults: a note when this browser holds no key for the consult's record
 * (another browser ran it), and how to get one.
 */
export function RecordOnDevice({ userId, consultId }: { userId: string; consultId: string }) {
  const [held, setHeld] = useState<boolean>();
  useEffect(() => {
    let live = true;
    void holdsRecordKey(userId, consultId).then(
      (h) => live && setHeld(h),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [userId, consultId]);
  if (held !== false) return null;
  return (
    <span
      className="block text-xs text-amber-800"
      data-testid="record-missing"
      title="Restore your key backup (Account), or open it in the browser you used for the consult; the clinic's records key comes later."
    >
      Record not readable in this browser: restore your key backup to read it here
    </span>
  );
}
