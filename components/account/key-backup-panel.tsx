"use client";

import { useEffect, useState } from "react";
import { ClientApiError } from "@/lib/client/api";
import { useDeviceIdentity } from "@/lib/client/device-identity";
import { backupState, RestoreRefused, restoreFromBackup, setUpBackup, type BackupStep } from "@/lib/client/key-backup";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";

/** At least this long: the backup can be guessed at offline by whoever steals the database. */
const MIN_PASSPHRASE = 16;

type State = Awaited<ReturnType<typeof backupState>>;

function stepText(s: BackupStep): string {
  switch (s.step) {
    case "deriving":
      return "Working out the key from your passphrase…";
    case "sealing":
      return `Encrypting your keys for the backup (${s.done ?? 0} of ${s.total ?? 0})…`;
    case "opening":
      return `Opening your keys (${s.done ?? 0})…`;
  }
}

function problem(err: unknown): string {
  if (err instanceof RestoreRefused || err instanceof ClientApiError) return err.message;
  console.warn("[parley] key backup:", err);
  return "Something went wrong on this device. Reload the page and try again.";
}

/**
 * The passphrase backup of the keys that open this person's consult records (PROTOCOL §7.3): turn
 * it on (or change the passphrase) on a device that holds keys, restore it on a new one.
 */
export function KeyBackupPanel({ userId }: { userId: string }) {
  const identity = useDeviceIdentity(userId);
  const deviceId = identity.status === "ready" ? identity.identity.deviceId : undefined;
  const [state, setState] = useState<State>();
  const [passphrase, setPassphrase] = useState("");
  const [again, setAgain] = useState("");
  const [restorePhrase, setRestorePhrase] = useState("");
  const [busy, setBusy] = useState<string>();
  const [done, setDone] = useState<string>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    let live = true;
    void backupState(userId).then(
      (s) => live && setState(s),
      () => live && setError("Could not read your backup's state. Reload the page."),
    );
    return () => {
      live = false;
    };
  }, [userId]);

  const short = passphrase.length > 0 && passphrase.length < MIN_PASSPHRASE;
  const differs = again.length > 0 && again !== passphrase;

  /** One backup action: its progress shown as it goes, then what it did or what went wrong. */
  async function run(first: string, action: (progress: (s: BackupStep) => void) => Promise<string>) {
    setError(undefined);
    setDone(undefined);
    setBusy(first);
    try {
      setDone(await action((s) => setBusy(stepText(s))));
      setState(await backupState(userId));
    } catch (err) {
      setError(problem(err));
    } finally {
      setBusy(undefined);
    }
  }

  function turnOn(e: React.FormEvent) {
    e.preventDefault();
    if (!deviceId || short || passphrase !== again) return;
    void run("Starting…", async (progress) => {
      const r = await setUpBackup(userId, deviceId, passphrase, progress);
      setPassphrase("");
      setAgain("");
      return `Your keys are backed up (${r.copied} copied now). New keys join the backup as they are made.`;
    });
  }

  function restore(e: React.FormEvent) {
    e.preventDefault();
    void run("Asking the server for your backup…", async (progress) => {
      const r = await restoreFromBackup(userId, restorePhrase, progress);
      setRestorePhrase("");
      return `Restored: this device now opens the records of ${r.consults} consult${r.consults === 1 ? "" : "s"} (read only).`;
    });
  }

  return (
    <div className="space-y-4 px-5 py-4 text-sm" data-testid="key-backup" data-state={!state ? "loading" : state.pinnedHere ? "on" : state.set ? "elsewhere" : "off"}>
      <p className="text-slate-600">
        Your consult records (chat and documents) are encrypted with keys only your devices hold. With a backup passphrase, a copy of those keys is kept encrypted on the server, so a new computer can
        open your records too. The passphrase never leaves your browser: if you lose it, and every device that holds your keys, the clinic cannot open your records for you.
      </p>
      {state?.changedOnServer && <Alert tone="warning">Your backup was set up again on another device. Restore it here with the new passphrase before new keys from this device can join it.</Alert>}
      {error && <Alert>{error}</Alert>}
      {done && (
        <p className="text-emerald-800" data-testid="key-backup-done">
          {done}
        </p>
      )}
      {busy && (
        <p className="text-slate-700" role="status" data-testid="key-backup-busy">
          {busy}
        </p>
      )}
      <form onSubmit={turnOn} className="space-y-2">
        <h3 className="font-medium">{state?.set ? "Change the backup passphrase" : "Turn on key backup"}</h3>
        <input
          data-testid="backup-passphrase"
          type="password"
          autoComplete="new-password"
          value={passphrase}
          onChange={(e) => setPassphrase(e.target.value)}
          placeholder={`A passphrase of at least ${MIN_PASSPHRASE} characters, e.g. four unrelated words`}
          aria-label="Backup passphrase"
          className="w-full rounded-xl border border-slate-300 px-3 py-2"
        />
        <input
          data-testid="backup-passphrase-again"
          type="password"
          autoComplete="new-password"
          value={again}
          onChange={(e) => setAgain(e.target.value)}
          placeholder="The same passphrase again"
          aria-label="Backup passphrase again"
          className="w-full rounded-xl border border-slate-300 px-3 py-2"
        />
        {short && <p className="text-amber-700">Use at least {MIN_PASSPHRASE} characters: whoever steals the server&apos;s database can try guesses at leisure.</p>}
        {differs && <p className="text-amber-700">The two passphrases differ.</p>}
        <Button data-testid="backup-set" type="submit" disabled={!!busy || !deviceId || passphrase.length < MIN_PASSPHRASE || passphrase !== again}>
          {state?.set ? "Change passphrase" : "Turn on key backup"}
        </Button>
      </form>
      {state?.set && (
        <form onSubmit={restore} className="space-y-2 border-t border-slate-100 pt-4">
          <h3 className="font-medium">Restore your keys on this device</h3>
          <p className="text-slate-600">Needs a sign-in with a second factor. Restored keys open your past records here; new consults get new keys.</p>
          <input
            data-testid="backup-restore-passphrase"
            type="password"
            autoComplete="current-password"
            value={restorePhrase}
            onChange={(e) => setRestorePhrase(e.target.value)}
            aria-label="Your backup passphrase"
            className="w-full rounded-xl border border-slate-300 px-3 py-2"
          />
          <Button data-testid="backup-restore" type="submit" variant="secondary" disabled={!!busy || restorePhrase.length === 0}>
            Restore from backup
          </Button>
        </form>
      )}
    </div>
  );
}
