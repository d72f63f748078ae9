"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import { ClientApiError } from "@/lib/client/api";
import { useDeviceIdentity } from "@/lib/client/device-identity";
import { listDevices, qrImage, removeDevice, type DeviceRow } from "@/lib/client/devices/device-list";
import { addDevice, joinDevice, type LinkResult, type RegisteredIdentity } from "@/lib/client/devices/linking";
import type { LinkSession, LinkView } from "@/lib/client/devices/link-session";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";

function problem(err: unknown): string {
  if (err instanceof ClientApiError) return err.message;
  console.warn("[parley] devices:", err);
  return "Something went wrong on this device. Reload the page and try again.";
}

const when = (iso: string) => new Date(iso).toLocaleString();

function phaseText(v: LinkView, role: "holder" | "joiner"): string {
  switch (v.phase) {
    case "waiting":
      return "On your new device, sign in, open Account, Your devices, and enter this code (or scan the QR code).";
    case "connecting":
      return "Connecting the two devices…";
    case "compare":
      return "Check that both devices show the same numbers. Read them on one screen and compare with the other.";
    case "confirmed":
      return "Waiting for you to confirm on the other device…";
    case "sending-keys":
      return role === "holder" ? "Encrypting your keys for the new device…" : "Receiving your keys…";
    case "linked":
      return "Linked.";
    case "failed":
      return v.error ?? "The link failed. Start again.";
  }
}

/** A running link, on either side: the code to compare, the buttons, and how it ended. */
function LinkFlow({ session, view, result, role }: { session: LinkSession; view: LinkView; result: LinkResult; role: "holder" | "joiner" }) {
  return (
    <div className="space-y-3 rounded-xl border border-slate-200 bg-slate-50 p-4" data-testid="link-flow" data-phase={view.phase}>
      <p role="status" className={view.phase === "failed" ? "text-red-700" : "text-slate-700"} data-testid={view.phase === "failed" ? "link-error" : "link-status"}>
        {phaseText(view, role)}
      </p>
      {view.code && (
        <p className="font-mono text-2xl tracking-widest" data-testid="link-call-code">
          {view.code}
        </p>
      )}
      {view.phase === "compare" && (
        <div className="flex flex-wrap gap-2">
          <Button data-testid="link-codes-match" onClick={() => void session.confirm()}>
            The numbers match
          </Button>
          <Button data-testid="link-codes-differ" variant="danger" onClick={() => void session.mismatch()}>
            They differ
          </Button>
        </div>
      )}
      {view.phase === "linked" && (
        <p className="text-emerald-800" data-testid="link-done">
          {role === "holder"
            ? `The new device is linked: ${result.copied ?? 0} key${result.copied === 1 ? "" : "s"} sent, encrypted to it. Keys made on this device from now on reach it too.`
            : `This device is linked: it now opens the records of ${result.opened?.consults ?? 0} consult${result.opened?.consults === 1 ? "" : "s"} (read only).`}
        </p>
      )}
    </div>
  );
}

/**
 * The person's devices (PROTOCOL §7.2): the list with fingerprints, "Add a device" (a code and a
 * QR code for the new device), "Link this device" (enter the code), and removing a device.
 */
export function DevicesPanel({ userId, openConsultIds, initialCode, anchor }: { userId: string; openConsultIds: string[]; initialCode?: string; anchor?: Uint8Array }) {
  const identity = useDeviceIdentity(userId);
  const me: RegisteredIdentity | undefined = identity.status === "ready" && identity.identity.deviceId ? { ...identity.identity, deviceId: identity.identity.deviceId } : undefined;
  const [devices, setDevices] = useState<DeviceRow[]>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState<string>();
  const [done, setDone] = useState<string>();
  const [code, setCode] = useState(initialCode ?? "");
  const [offer, setOffer] = useState<{ code: string; qr: string; url: string }>();
  const [flow, setFlow] = useState<{ session: LinkSession; view: LinkView; result: LinkResult; role: "holder" | "joiner" }>();
  const running = useRef<LinkSession | undefined>(undefined);

  const refresh = useCallback(async () => {
    try {
      setDevices(await listDevices(userId));
    } catch (err) {
      setError(problem(err));
    }
  }, [userId]);

  // The list is read once this browser's own device is registered, so it is on it.
  const myDeviceId = me?.deviceId;
  useEffect(() => {
    if (!myDeviceId) return;
    let live = true;
    listDevices(userId).then(
      (d) => live && setDevices(d),
      (err: unknown) => live && setError(problem(err)),
    );
    return () => {
      live = false;
    };
  }, [userId, myDeviceId]);

  // A link still running when the page goes away is cancelled.
  useEffect(() => () => void running.current?.cancel(), []);

  function follow(role: "holder" | "joiner", session: LinkSession) {
    running.current?.cancel().catch(() => undefined);
    running.current = session;
    setFlow({ session, view: session.state, result: {}, role });
    void session.run().finally(() => void refresh());
  }

  const onChange = (view: LinkView, result: LinkResult) => setFlow((f) => (f ? { ...f, view, result: { ...result } } : f));

  async function start() {
    if (!me) return;
    setError(undefined);
    setDone(undefined);
    setBusy("Making a link…");
    try {
      const made = await addDevice(me, window.location.origin, onChange);
      setOffer({ code: made.code, url: made.url, qr: await qrImage(made.url) });
      follow("holder", made.session);
    } catch (err) {
      setError(problem(err));
    } finally {
      setBusy(undefined);
    }
  }

  async function join(e: React.FormEvent) {
    e.preventDefault();
    if (!me || code.trim().length === 0) return;
    setError(undefined);
    setDone(undefined);
    setOffer(undefined);
    setBusy("Joining the link…");
    try {
      const joined = await joinDevice(me, code, onChange, anchor);
      follow("joiner", joined.session);
    } catch (err) {
      setError(problem(err));
    } finally {
      setBusy(undefined);
    }
  }

  async function remove(d: DeviceRow) {
    if (!me) return;
    if (!window.confirm(`Remove the device ${d.shortFingerprint}? It will not open anything written from now on.`)) return;
    setError(undefined);
    setBusy("Removing the device and changing the keys of your open consults…");
    try {
      const r = await removeDevice(userId, me.deviceId, d.id, openConsultIds);
      setDone(`Removed. ${r.rotated} open consult${r.rotated === 1 ? "" : "s"} got a new key the removed device does not have.`);
      await refresh();
    } catch (err) {
      setError(problem(err));
    } finally {
      setBusy(undefined);
    }
  }

  const linking = flow && flow.view.phase !== "linked" && flow.view.phase !== "failed";

  return (
    <div className="space-y-4 px-5 py-4 text-sm" data-testid="devices">
      <p className="text-slate-600">
        Each browser you use is a device with its own keys. Link a new device from one that already opens your records: the two compare a code, then your keys go to the new one, encrypted so only it
        can open them. Remove a device you no longer use or have lost.
      </p>
      {error && <Alert>{error}</Alert>}
      {done && (
        <p className="text-emerald-800" data-testid="devices-done">
          {done}
        </p>
      )}
      {busy && (
        <p role="status" className="text-slate-700" data-testid="devices-busy">
          {busy}
        </p>
      )}
      <ul className="divide-y divide-slate-100 rounded-xl border border-slate-200" data-testid="device-list">
        {devices?.map((d) => {
          const here = d.id === me?.deviceId;
          return (
            <li key={d.id} className="flex flex-wrap items-center justify-between gap-2 px-3 py-2" data-testid="device-row" data-device-id={d.id} data-this={here ? "true" : "false"}>
              <div>
                <p className="font-mono" data-testid="device-fingerprint">
                  {d.shortFingerprint}
                </p>
                <p className="text-xs text-slate-500">
                  {here ? "This device. " : d.linkedHere ? "Linked with this device. " : ""}
                  Added {when(d.createdAt)}, last seen {when(d.lastSeenAt)}
                  {d.linkedAt ? `, linked ${when(d.linkedAt)}` : ""}
                </p>
              </div>
              {!here && (
                <Button data-testid="device-remove" variant="secondary" disabled={!!busy || !!linking} onClick={() => void remove(d)}>
                  Remove
                </Button>
              )}
            </li>
          );
        })}
        {devices?.length === 0 && <li className="px-3 py-2 text-slate-500">No devices yet.</li>}
      </ul>
      <div className="flex flex-wrap gap-2">
        <Button data-testid="link-add" disabled={!me || !!busy || !!linking} onClick={() => void start()}>
          Add a device
        </Button>
      </div>
      {offer && flow?.role === "holder" && flow.view.phase === "waiting" && (
        <div className="flex flex-wrap items-center gap-4 rounded-xl border border-slate-200 p-4">
          {/* eslint-disable-next-line @next/next/no-img-element -- a data: URL made on this device */}
          <img src={offer.qr} alt="QR code to link your new device" width={180} height={180} data-testid="link-qr" data-url={offer.url} />
          <div>
            <p className="text-slate-600">Code for the new device (valid 10 minutes):</p>
            <p className="font-mono text-2xl tracking-widest" data-testid="link-code">
              {offer.code}
            </p>
          </div>
        </div>
      )}
      {flow && <LinkFlow session={flow.session} view={flow.view} result={flow.result} role={flow.role} />}
      <form onSubmit={join} className="space-y-2 border-t border-slate-100 pt-4">
        <h3 className="font-medium">Link this device</h3>
        <p className="text-slate-600">Needs a sign-in with a second factor. Press Add a device on a device that already opens your records, then enter its code here.</p>
        <div className="flex flex-wrap gap-2">
          <input
            data-testid="link-code-input"
            value={code}
            onChange={(e) => setCode(e.target.value)}
            placeholder="10-character code"
            aria-label="Code from your other device"
            autoComplete="off"
            className="rounded-xl border border-slate-300 px-3 py-2 font-mono uppercase"
          />
          <Button data-testid="link-join" type="submit" variant="secondary" disabled={!me || !!busy || !!linking || code.trim().length === 0}>
            Link this device
          </Button>
        </div>
      </form>
    </div>
  );
}
