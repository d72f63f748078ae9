// Where a call's set-up spends its time: a performance mark for each step, in the order a call
// normally takes them, read by `npm run bench -- --only call` (bench/call-setup.ts) to print the
// timeline. Marks cost next to nothing and are visible in the browser's performance panel.
export const CALL_STEPS = [
  /** the room heard of an admission (lib/client/room/room-session.ts) */
  "admission-seen",
  /** the other person is in the consult: a call session starts */
  "call-start",
  /** this side's commitment is on its way to the log */
  "commit",
  /** this side's signed hello is revealed */
  "reveal",
  /** the other side's hello checked out: the call code exists */
  "hello-verified",
  /** the initiator's offer was made, or the responder got it */
  "offer",
  /** the responder's answer was made, or the initiator got it */
  "answer",
  "ice-connected",
  "dtls-connected",
  /** the data channel is open: the connection is up */
  "channel-open",
  /** the connection's certificate is the verified hello's */
  "dtls-checked",
] as const;

export type CallStep = (typeof CALL_STEPS)[number];

export const CALL_MARK_PREFIX = "parley:call:";

/** Records a step (the browser's performance timeline; unit tests pass their own). */
export type CallMarks = (step: CallStep) => void;

export const performanceMarks: CallMarks = (step) => {
  if (typeof performance !== "undefined" && typeof performance.mark === "function") performance.mark(CALL_MARK_PREFIX + step);
};
