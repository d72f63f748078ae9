// What the room's state means for this person: their role, whether they are in the consult, who
// the other person is. One place, for the runtime's links and the room's layout alike.
import type { RoomSnapshot } from "@/lib/shared/api";
import type { TranscriptPerson } from "../chat/transcript";
import type { RoomState } from "./room-state";

export type RoomFacts = {
  isDoctor: boolean;
  ended: boolean;
  /** in the room: not ended, not removed, not left */
  present: boolean;
  /** admitted to the consult now */
  inConsult: boolean;
  patient: RoomState["participants"][number] | undefined;
  doctor: RoomState["participants"][number] | undefined;
  /** the other person in the call, when admitted */
  other: RoomState["participants"][number] | undefined;
  /** chat and documents may be loaded (in the consult, or the doctor after it) */
  readable: boolean;
};

export function roomFacts(state: RoomState): RoomFacts {
  const isDoctor = state.me.role === "doctor";
  const ended = state.status === "ended" || state.status === "cancelled";
  const present = !ended && !state.removed && state.me.state !== "left";
  const inConsult = present && state.me.state === "admitted";
  const patient = state.participants.find((p) => p.role === "patient" && p.state === "admitted");
  const doctor = state.participants.find((p) => p.role === "doctor" && p.state === "admitted");
  return { isDoctor, ended, present, inConsult, patient, doctor, other: isDoctor ? patient : doctor, readable: inConsult || (isDoctor && !state.removed) };
}

/** The people of the consult by user id, with the names the chat and the transcript show. */
export function peopleOf(state: RoomState, snapshot: RoomSnapshot): TranscriptPerson[] {
  return state.participants.map((p) => ({ userId: p.userId, name: p.role === "doctor" ? snapshot.consult.doctorName : p.displayName, role: p.role }));
}
