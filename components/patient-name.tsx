"use client";

import { NAME_MISSING, usePatientName } from "@/lib/client/patient-names";

/** A patient's name as the doctor's device reads it from the sealed name (PROTOCOL §6). */
export function PatientName({ userId, consultId, patient }: { userId: string; consultId: string; patient: { displayName: string; sealed: { inviteId: string; sealedName: string } | null } }) {
  const opened = usePatientName(userId, consultId, patient);
  return <>{opened ? ("name" in opened ? opened.name : NAME_MISSING[opened.missing]) : patient.displayName}</>;
}
