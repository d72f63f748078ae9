"use client";

import Link from "next/link";
import type { RoomSnapshot } from "@/lib/shared/api";
import { useRoom } from "@/lib/client/use-room";
import { Button } from "../ui/button";
import { Alert } from "../ui/alert";
import { InvitePanel } from "./invite-panel";

export function Room({ snapshot }: { snapshot: RoomSnapshot }) {
  const room = useRoom(snapshot);
  const { state } = room;
  const isDoctor = state.me.role === "doctor";
  const ended = state.status === "ended" || state.status === "cancelled";
  const waiting = state.participants.filter((p) => p.role === "patient" && p.state === "waiting");
  const patient = state.participants.find((p) => p.role === "patient" && p.state === "admitted");
  const connection = ended || state.removed ? "ended" : "waiting";

  if (state.removed) {
    return (
      <main className="mx-auto max-w-lg px-4 py-16">
        <Alert>You are no longer in this consult. If this is a mistake, ask your clinic for a new invite link.</Alert>
      </main>
    );
  }

  return (
    <main className="mx-auto max-w-5xl space-y-5 px-4 py-6">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div>
          <h1 className="text-xl font-semibold">{isDoctor ? `Consult${patient ? ` with ${patient.displayName}` : ""}` : `Consult with ${snapshot.consult.doctorName}`}</h1>
          <p className="text-sm text-slate-600">
            <span data-testid="connection-state" data-state={connection}>
              {ended ? "This consult has ended." : state.me.state === "waiting" ? "Waiting to be admitted" : patient || !isDoctor ? "In the consult" : "Waiting for your patient"}
            </span>
            {room.stream === "reconnecting" && <span className="ml-2 text-amber-700">· reconnecting…</span>}
          </p>
        </div>
        <div className="flex gap-2">
          {isDoctor && (
            <Link href="/dashboard" className="inline-flex min-h-11 items-center rounded-xl px-3 text-sm text-brand-700 hover:underline">
              Dashboard
            </Link>
          )}
          {!ended && !isDoctor && state.me.state === "admitted" && (
            <Button data-testid="hang-up" variant="danger" onClick={() => void room.leave()} disabled={room.busy}>
              Leave
            </Button>
          )}
          {!ended && isDoctor && (
            <Button data-testid="end-consult" variant="danger" onClick={() => void room.end()} disabled={room.busy}>
              End consult
            </Button>
          )}
        </div>
      </div>

      {room.error && <Alert>{room.error}</Alert>}

      {!isDoctor && state.me.state === "waiting" && !ended && (
        <section data-testid="waiting-room" className="rounded-2xl border border-brand-100 bg-brand-50 p-6 text-brand-900">
          <h2 className="text-lg font-semibold">You are in the waiting room</h2>
          <p className="mt-1 text-sm">{snapshot.consult.doctorName} has been told you are here and will let you in shortly. Keep this page open.</p>
        </section>
      )}

      {!isDoctor && state.me.state === "left" && !ended && (
        <section className="flex flex-wrap items-center justify-between gap-3 rounded-2xl border border-slate-200 bg-white p-5" data-testid="left-consult">
          <p className="text-sm">You left the consult. You can close this page, or go back to the waiting room and your doctor will let you in again.</p>
          <Button onClick={() => void room.rejoin()} disabled={room.busy}>
            Back to the waiting room
          </Button>
        </section>
      )}

      {isDoctor && !ended && !patient && <InvitePanel invite={room.invite} onNewLink={() => void room.newInvite()} busy={room.busy} />}

      {isDoctor && !ended && waiting.length > 0 && (
        <section className="rounded-2xl border border-amber-200 bg-amber-50 p-5" data-testid="waiting-list">
          <h2 className="mb-3 font-semibold text-amber-950">Waiting room</h2>
          <ul className="space-y-2">
            {waiting.map((p) => (
              <li key={p.id} className="flex items-center justify-between gap-3 rounded-xl bg-white px-4 py-3">
                <span>
                  <span className="font-medium">{p.displayName}</span>
                  <span className={`ml-2 text-xs ${p.online ? "text-emerald-700" : "text-slate-500"}`}>{p.online ? "online" : "away"}</span>
                </span>
                <Button data-testid="admit" onClick={() => void room.admit(p.id)} disabled={room.busy}>
                  Admit
                </Button>
              </li>
            ))}
          </ul>
        </section>
      )}

      {!ended && state.me.state === "admitted" && (
        <section className="grid gap-3 sm:grid-cols-2">
          {state.participants
            .filter((p) => p.state === "admitted")
            .map((p) => (
              <div key={p.id} data-testid="participant" className="flex aspect-video items-end rounded-2xl bg-slate-900 p-4 text-white">
                <span className="text-sm">
                  {p.displayName} {p.id === state.me.id ? "(you)" : ""} · {p.id === state.me.id || p.online ? "here" : "away"}
                </span>
              </div>
            ))}
        </section>
      )}

      {ended && (
        <Alert tone="info">
          This consult has ended.{" "}
          {isDoctor ? (
            <Link href="/dashboard" className="underline">
              Back to your consults
            </Link>
          ) : (
            "You can close this page."
          )}
        </Alert>
      )}
    </main>
  );
}
