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
      title="Link this browser from one that holds your keys (Account, Your devices), or restore your key backup (Account, Key backup); otherwise your clinic's admin can read it with the records key."
    >
      Record not readable in this browser: link this device or restore your key backup to read it here
    </span>
  );
}
