"use client";

import { useEffect, useRef, useState } from "react";
import { signOut } from "next-auth/react";
import { callInProgress, IdleWatcher, type IdleState } from "@/lib/client/idle-logoff";
import { reportActivity } from "@/lib/client/session";
import { Button } from "./ui/button";

const EVENTS = ["pointerdown", "keydown", "wheel", "touchstart"] as const;

/** Staff pages: signs out after `idleMs` without interaction (outside a call), with a warning a minute before. */
export function IdleLogoff({ idleMs }: { idleMs: number }) {
  const [state, setState] = useState<IdleState>({ phase: "active" });
  const watcher = useRef<IdleWatcher | null>(null);

  useEffect(() => {
    const w = new IdleWatcher({
      idleMs,
      now: () => Date.now(),
      ping: reportActivity,
      callInProgress: () => callInProgress.get(),
      onChange: setState,
      onEnded: () => void signOut({ redirectTo: "/sign-in?reason=idle" }),
    });
    watcher.current = w;
    w.interaction(true); // opening the page is an interaction
    const onInput = () => w.interaction();
    for (const e of EVENTS) window.addEventListener(e, onInput, { passive: true, capture: true });
    const timer = setInterval(() => w.tick(), 1000);
    return () => {
      clearInterval(timer);
      for (const e of EVENTS) window.removeEventListener(e, onInput, { capture: true });
      watcher.current = null;
    };
  }, [idleMs]);

  if (state.phase !== "warning") return null;
  return (
    <div
      role="alertdialog"
      aria-labelledby="idle-title"
      data-testid="idle-warning"
      className="fixed inset-x-0 bottom-4 z-50 mx-auto w-[min(28rem,calc(100%-2rem))] rounded-2xl border border-amber-200 bg-amber-50 p-4 text-amber-900 shadow-lg"
    >
      <p id="idle-title" className="font-medium">
        You will be signed out in {state.secondsLeft} s
      </p>
      <p className="mb-3 text-sm">For patients&apos; privacy, Parley signs you out after a while without activity.</p>
      <Button onClick={() => watcher.current?.interaction(true)}>Stay signed in</Button>
    </div>
  );
}
