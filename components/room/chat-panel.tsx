"use client";
// The room's end-to-end encrypted chat: the conversation (each message once, with its state),
// gaps and unverifiable messages shown as such, who is typing, the box and send button (disabled,
// with the reason, while PROTOCOL §3 does not allow sending), search, export, and removal.
// Everything it shows comes from lib/client/chat/chat-session.ts; it holds no crypto or I/O.
import { memo, useEffect, useMemo, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { searchItems, type ChatItem, type ChatMessageItem, type ChatState } from "@/lib/client/chat/chat-log";
import type { ChatSendBlock, PeerPresence } from "@/lib/client/chat/chat-session";
import { useChatView } from "@/lib/client/room/use-room-runtime";
import type { RoomRuntime } from "@/lib/client/room/room-runtime";
import { Button } from "../ui/button";

const BLOCKED: Record<ChatSendBlock, string> = {
  "no-identity": "This device's encryption key is not ready, so chat is off.",
  inactive: "Chat is open while you are in the consult.",
  handshaking: "Chat starts once the call's end-to-end encryption is set up.",
  unverified: "Compare the call code first: chat is end-to-end encrypted only to a verified device.",
  mismatch: "The codes did not match, so chat is off for this connection.",
  "key-changed": "Their security key changed: compare the call code before chatting.",
  "no-key": "Waiting for the consult's key from the doctor's device…",
  "new-key": "Verified. Waiting for the consult's new key, which replaces the one sent before the codes were compared…",
};

const STATE_TEXT: Record<ChatState, string> = {
  sending: "Sending…",
  sent: "Sent",
  delivered: "Delivered",
  read: "Read",
  failed: "Not sent",
  unverifiable: "Could not be verified",
};

const PRESENCE_TEXT: Record<PeerPresence, string> = { online: "online", away: "away (page in the background)", offline: "left the room" };

type Props = {
  /** the chat is read here, not in the room: a message re-renders the chat, not the call */
  runtime: RoomRuntime;
  nameOf: (userId: string) => string;
  otherName: string | undefined;
  isDoctor: boolean;
};

const time = (ms: number) => new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

export const ChatPanel = memo(function ChatPanel({ runtime, nameOf, otherName, isDoctor }: Props) {
  const chat = useChatView(runtime);
  const [text, setText] = useState("");
  const [query, setQuery] = useState("");
  const [confirm, setConfirm] = useState<"erase" | "delete">();
  const [deleteError, setDeleteError] = useState<string>();
  const list = useRef<HTMLOListElement>(null);
  const results = useMemo(() => (query.trim() ? searchItems(chat.items, query) : undefined), [query, chat.items]);
  const shown: ChatItem[] = results ?? chat.items;

  useEffect(() => {
    const el = list.current;
    if (el && !results) el.scrollTop = el.scrollHeight;
  }, [chat.items.length, results]);

  const submit = async (e?: FormEvent) => {
    e?.preventDefault();
    const body = text;
    if (!body.trim() || chat.block) return;
    setText("");
    if (!(await chat.send(body))) setText(body);
  };
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      void submit();
    }
  };

  return (
    <section className="flex flex-col rounded-2xl border border-slate-200 bg-white" aria-label="Chat">
      <header className="flex flex-wrap items-center justify-between gap-2 border-b border-slate-100 px-4 py-3">
        <div>
          <h2 className="font-semibold">Chat</h2>
          <p className="text-xs text-slate-500">
            End-to-end encrypted: the server stores only ciphertext.
            {otherName && chat.peerPresence && (
              <span data-testid="chat-presence" data-state={chat.peerPresence} className="ml-1">
                {otherName} is {PRESENCE_TEXT[chat.peerPresence]}.
              </span>
            )}
          </p>
        </div>
        {chat.notVerified && (
          <span
            data-testid="chat-not-verified"
            className="rounded-full bg-amber-100 px-3 py-1 text-xs font-medium text-amber-900"
            title="Chat runs on trust until you compare the call code: a server in the middle could read what is written before then. Compare the code to replace the key."
          >
            not verified: compare the code to protect what you write
          </span>
        )}
        <input
          data-testid="chat-search"
          type="search"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          placeholder="Search this chat"
          aria-label="Search this chat (on this device)"
          className="min-h-11 w-44 rounded-xl border border-slate-300 px-3 text-sm"
        />
      </header>

      {chat.brokenLinks > 0 && (
        <p role="alert" className="bg-red-50 px-4 py-2 text-sm text-red-900" data-testid="chat-broken">
          Some messages do not follow on from the sender&apos;s previous message: the history may have been altered or reordered on the server.
        </p>
      )}
      {chat.notice && <p className="bg-slate-50 px-4 py-2 text-sm text-slate-700">{chat.notice}</p>}
      {chat.noKeyHere && (
        <p className="bg-amber-50 px-4 py-2 text-sm text-amber-900" data-testid="record-no-key">
          This browser holds no key for this consult&apos;s record, so it cannot read it.{" "}
          {isDoctor
            ? "To read it here, link this browser from one that holds your keys (Account, Your devices), or restore your key backup (Account, Key backup). If neither is possible, your clinic's admin can read it with the clinic's records key."
            : "Only the devices that were in the consult can read it."}
        </p>
      )}
      {results && (
        <p className="px-4 pt-2 text-xs text-slate-500" data-testid="chat-search-count">
          {results.length === 1 ? "1 message" : `${results.length} messages`} found on this device
        </p>
      )}

      <ol ref={list} className="max-h-96 min-h-32 space-y-2 overflow-y-auto px-4 py-3" aria-live="polite">
        {shown.length === 0 && <li className="text-sm text-slate-500">{results ? "Nothing found." : "No messages yet."}</li>}
        {shown.map((i) => (i.type === "gap" ? <Gap key={i.id} item={i} name={nameOf(i.senderUserId)} /> : <Message key={i.id} item={i} name={nameOf(i.senderUserId)} onRetry={chat.retry} />))}
      </ol>

      <p className="h-5 px-4 text-xs text-slate-500" data-testid="chat-typing" aria-live="polite">
        {chat.peerTyping && otherName ? `${otherName} is typing…` : ""}
      </p>

      <form onSubmit={(e) => void submit(e)} className="flex gap-2 border-t border-slate-100 px-4 py-3">
        <textarea
          data-testid="chat-input"
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            chat.noteTyping();
          }}
          onKeyDown={onKey}
          disabled={!!chat.block}
          rows={2}
          maxLength={8000}
          placeholder={chat.block ? BLOCKED[chat.block] : "Write a message (Enter sends, Shift+Enter for a new line)"}
          aria-label="Message"
          className="min-h-11 flex-1 resize-none rounded-xl border border-slate-300 px-3 py-2 text-sm disabled:bg-slate-50"
        />
        <Button data-testid="chat-send" type="submit" disabled={!!chat.block || !text.trim()}>
          Send
        </Button>
      </form>
      {chat.block && (
        <p className="px-4 pb-3 text-xs text-slate-600" data-testid="chat-blocked" data-state={chat.block}>
          {BLOCKED[chat.block]}
        </p>
      )}

      <footer className="flex flex-wrap items-center gap-2 border-t border-slate-100 px-4 py-3 text-sm">
        <Button variant="secondary" data-testid="chat-export" onClick={chat.exportTranscript}>
          Export transcript
        </Button>
        {/* After the call only: a device still in the consult would be sent the key again at once. */}
        {chat.block === "inactive" && (
          <Button variant="secondary" data-testid="chat-erase" onClick={() => setConfirm("erase")}>
            Remove from this device
          </Button>
        )}
        {isDoctor && (
          <Button variant="secondary" data-testid="chat-delete-server" onClick={() => setConfirm("delete")}>
            Delete messages on the server
          </Button>
        )}
        {confirm && (
          <div className="w-full rounded-xl bg-red-50 p-3 text-red-950" role="alertdialog">
            <p>
              {confirm === "erase"
                ? "This erases the consult's keys from this device: its messages can no longer be read here. Export the transcript first if you need it."
                : "This deletes every message of this consult from the server, for everyone. Export the transcript first if you need it for the record."}
            </p>
            {deleteError && <p className="mt-1">{deleteError}</p>}
            <div className="mt-2 flex gap-2">
              <Button
                variant="danger"
                data-testid="chat-confirm"
                onClick={() => {
                  if (confirm === "erase") {
                    setConfirm(undefined);
                    void chat.eraseFromDevice();
                    return;
                  }
                  void chat.deleteOnServer().then((err) => {
                    setDeleteError(err);
                    if (!err) setConfirm(undefined);
                  });
                }}
              >
                {confirm === "erase" ? "Erase from this device" : "Delete for everyone"}
              </Button>
              <Button variant="secondary" onClick={() => setConfirm(undefined)}>
                Cancel
              </Button>
            </div>
          </div>
        )}
      </footer>
    </section>
  );
});

/** One message; it renders again only when its item changed (the chat log keeps unchanged items' identity). */
const Message = memo(function Message({ item, name, onRetry }: { item: ChatMessageItem; name: string; onRetry: (id: string) => Promise<void> }) {
  const bad = item.state === "unverifiable";
  return (
    <li
      data-testid="chat-message"
      data-state={item.state}
      data-mine={item.mine ? "true" : "false"}
      data-provisional={item.provisional ? "true" : undefined}
      className={`max-w-[85%] rounded-2xl px-3 py-2 text-sm ${item.mine ? "ml-auto bg-brand-600 text-white" : bad ? "border border-red-200 bg-red-50 text-red-900" : "bg-slate-100 text-slate-900"}`}
    >
      <p className={`text-xs ${item.mine ? "text-brand-100" : "text-slate-500"}`}>
        {item.mine ? "You" : name} · {time(item.at)}
        {!item.mine && !bad && !item.senderVerified && !item.provisional && " · sender not verified"}
        {!bad && item.provisional && " · sent before the codes were compared"}
      </p>
      {bad ? <p className="italic">{item.problem ?? "This message could not be verified."}</p> : <p className="whitespace-pre-wrap break-words">{item.body}</p>}
      {item.mine && (
        <p className="mt-0.5 text-right text-xs text-brand-100">
          {STATE_TEXT[item.state]}
          {item.state === "failed" && (
            <>
              {item.problem ? ` — ${item.problem}` : ""}{" "}
              <button type="button" className="underline" onClick={() => void onRetry(item.id)}>
                Try again
              </button>
            </>
          )}
        </p>
      )}
    </li>
  );
});

function Gap({ item, name }: { item: Extract<ChatItem, { type: "gap" }>; name: string }) {
  const n = item.to - item.from + 1;
  return (
    <li data-testid="chat-gap" data-state={item.withheld ? "withheld" : "missing"} className="rounded-xl border border-dashed border-amber-300 bg-amber-50 px-3 py-2 text-xs text-amber-900">
      {item.withheld
        ? `${n === 1 ? "A message" : `${n} messages`} ${name} sent ${n === 1 ? "has" : "have"} not been delivered by the server.`
        : `${n === 1 ? "A message" : `${n} messages`} from ${name} ${n === 1 ? "is" : "are"} missing here.`}
    </li>
  );
}
