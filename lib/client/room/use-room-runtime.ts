"use client";
// The room's runtime (room-runtime.ts) in React: one per page, started after mount and stopped on
// unmount; each part read through useSyncExternalStore.
import { useEffect, useMemo, useState, useSyncExternalStore } from "react";
import type { RoomSnapshot } from "@/lib/shared/api";
import type { ClientSettings } from "@/lib/shared/settings";
import type { DeviceIdentity } from "../parley-db";
import { RoomRuntime, type LocalMediaState } from "./room-runtime";

export function useRoomRuntime(snapshot: RoomSnapshot, settings: ClientSettings): RoomRuntime {
  const [runtime] = useState(() => new RoomRuntime(snapshot, settings));
  useEffect(() => {
    runtime.start();
    const page: [EventTarget, string, () => void][] = [
      [window, "pagehide", () => runtime.call.pageHide()],
      [window, "online", () => runtime.online()],
      [document, "visibilitychange", () => runtime.visibilityChanged()],
    ];
    for (const [target, event, fn] of page) target.addEventListener(event, fn);
    return () => {
      for (const [target, event, fn] of page) target.removeEventListener(event, fn);
      runtime.stop();
    };
  }, [runtime]);
  return runtime;
}

/** What the page finds out after the runtime started: this device's identity, the camera and microphone. */
export function useRuntimeInputs(runtime: RoomRuntime, identity: DeviceIdentity | undefined, local: LocalMediaState): void {
  useEffect(() => runtime.setIdentity(identity), [runtime, identity]);
  useEffect(() => runtime.setLocalMedia({ stream: local.stream, settled: local.settled }), [runtime, local.stream, local.settled]);
}

export const useRoomView = (rt: RoomRuntime) => useSyncExternalStore(rt.room.subscribe, rt.room.state, rt.room.state);

export const useCallView = (rt: RoomRuntime) => useSyncExternalStore(rt.call.subscribe, rt.call.state, rt.call.state);

/** Whether the chat or the documents have anything to show: the room re-renders when that changes, not for each message. */
export const useChatShown = (rt: RoomRuntime) =>
  useSyncExternalStore(
    rt.chatView.subscribe,
    () => chatShown(rt),
    () => chatShown(rt),
  );
export const useFilesShown = (rt: RoomRuntime) =>
  useSyncExternalStore(
    rt.filesView.subscribe,
    () => rt.filesView.get().items.length > 0,
    () => rt.filesView.get().items.length > 0,
  );

function chatShown(rt: RoomRuntime): boolean {
  const chat = rt.chatView.get();
  return chat.items.length > 0 || !!chat.notice;
}

export function useChatView(rt: RoomRuntime) {
  const state = useSyncExternalStore(rt.chatView.subscribe, rt.chatView.get, rt.chatView.get);
  return useMemo(() => ({ ...state, ...rt.chatActions }), [state, rt]);
}

export function useFilesView(rt: RoomRuntime) {
  const state = useSyncExternalStore(rt.filesView.subscribe, rt.filesView.get, rt.filesView.get);
  return useMemo(() => ({ ...state, ...rt.fileActions }), [state, rt]);
}

/** What the chat panel renders and calls (components/room/chat-panel.tsx). */
export type ChatView = ReturnType<typeof useChatView>;
/** What the documents panel renders and calls (components/room/files-panel.tsx). */
export type FilesView = ReturnType<typeof useFilesView>;
