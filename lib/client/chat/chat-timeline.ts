// Where sending a chat message spends its time (issue 24): a performance mark for each step, in
// order, read by `npm run bench -- --only chat-browser` (bench/chat-browser.ts) to print the
// breakdown. Marks cost next to nothing and show in the browser's performance panel.
export const CHAT_STEPS = [
  /** Send was pressed: the session has the text */
  "send",
  /** the message, "sending", is handed to React (before anything is awaited) */
  "shown",
  /** the Web Lock that serialises this consult's outbox was granted */
  "lock",
  /** the chain's head (next seq, last hash) was read from IndexedDB */
  "chain-read",
  /** sealed: AES-256-GCM and the ECDSA signature (PROTOCOL §4) */
  "sealed",
  /** the chain hash of what was sealed */
  "hashed",
  /** the outbox entry and the new chain head are written (IndexedDB) */
  "stored",
  /** the POST is made (fetch called) */
  "post",
  /** the server has it (POST answered) */
  "posted",
] as const;

export type ChatStep = (typeof CHAT_STEPS)[number];

export const CHAT_MARK_PREFIX = "parley:chat:";

export function chatMark(step: ChatStep): void {
  if (typeof performance !== "undefined" && typeof performance.mark === "function") performance.mark(CHAT_MARK_PREFIX + step);
}
