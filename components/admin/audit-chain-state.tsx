"use client";

import { useCallback, useEffect, useState } from "react";
import { verifyAuditChain } from "@/lib/client/admin";
import { ClientApiError } from "@/lib/client/api";
import type { ChainReportView } from "@/lib/shared/audit";
import { Button } from "../ui/button";

type State = { kind: "checking" } | { kind: "done"; report: ChainReportView } | { kind: "failed"; message: string };

/** The audit trail's chain, checked on the server from the first row to the newest when the page opens. */
export function AuditChainState() {
  const [state, setState] = useState<State>({ kind: "checking" });

  const check = useCallback(
    (onOpen: boolean) =>
      verifyAuditChain(onOpen).then(
        (report) => setState({ kind: "done", report }),
        (err: unknown) => setState({ kind: "failed", message: err instanceof ClientApiError ? err.message : "The check could not run. Try again." }),
      ),
    [],
  );
  useEffect(() => {
    void check(true);
  }, [check]);

  const again = (
    <Button
      variant="secondary"
      className="ml-auto min-h-9 py-1"
      data-testid="audit-chain-check"
      onClick={() => {
        setState({ kind: "checking" });
        void check(false);
      }}
      disabled={state.kind === "checking"}
    >
      Check again
    </Button>
  );

  if (state.kind === "checking") {
    return (
      <p className="flex items-center gap-3 px-5 py-3 text-sm text-slate-600" data-testid="audit-chain" data-state="checking" role="status">
        Checking every audit row against its hash…
      </p>
    );
  }
  if (state.kind === "failed") {
    return (
      <p className="flex items-center gap-3 px-5 py-3 text-sm text-amber-800" data-testid="audit-chain" data-state="failed" role="status">
        {state.message} {again}
      </p>
    );
  }
  const r = state.report;
  if (r.firstBroken) {
    return (
      <div className="flex items-start gap-3 bg-red-50 px-5 py-3 text-sm text-red-800" data-testid="audit-chain" data-state="broken" role="alert">
        <p>
          <strong>The audit trail has been changed outside Parley.</strong> Row {r.firstBroken.id}: {r.firstBroken.message}. {r.checked} row(s) before it check out. Keep an export of the trail as it
          is now, and tell whoever runs the database.
        </p>
        {again}
      </div>
    );
  }
  return (
    <p className="flex items-center gap-3 px-5 py-3 text-sm text-emerald-800" data-testid="audit-chain" data-state="ok" role="status">
      <span>
        Intact: all {r.checked} row(s) match their hashes and follow each other.
        {r.head ? (
          <>
            {" "}
            Head: row {r.head.id}, <span className="font-mono text-xs">{r.head.hash.slice(0, 16)}…</span>
          </>
        ) : null}
      </span>
      {again}
    </p>
  );
}
