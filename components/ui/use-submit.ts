"use client";

import { useState } from "react";

/**
 * A form's submit handler with its busy flag and error message. `run` gets the form's fields and
 * answers an error message to show, or undefined when it succeeded (and navigated away).
 */
export function useSubmit(run: (field: (name: string) => string) => Promise<string | undefined>) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const field = (name: string) => {
      const v = form.get(name);
      return typeof v === "string" ? v : "";
    };
    setBusy(true);
    setError(undefined);
    const problem = await run(field);
    // On success the page is navigating away: keep the button busy until it has.
    if (problem !== undefined) {
      setError(problem);
      setBusy(false);
    }
  }

  return { busy, error, onSubmit };
}
