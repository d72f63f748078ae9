// Linking a second browser profile of the doctor (PROTOCOL §7.2), as a person does it: "Add a
// device" on the browser that holds the keys, the code (or the QR code's link) on the new one, the
// same three numbers on both, confirmed on both.
import { expect, type Page } from "@playwright/test";

/** Both pages show the same call code; the person confirms it on both. Returns the code. */
export async function compareAndConfirm(a: Page, b: Page): Promise<string> {
  for (const p of [a, b]) await expect(p.getByTestId("link-call-code")).toHaveText(/^\d{4} \d{4} \d{4}$/, { timeout: 30_000 });
  const code = (await a.getByTestId("link-call-code").textContent()) ?? "";
  await expect(b.getByTestId("link-call-code")).toHaveText(code);
  for (const p of [a, b]) await p.getByTestId("link-codes-match").click();
  return code;
}

/** "Add a device" on `holder` (its /account page open): the link's code, and the QR code's URL. */
export async function addDevice(holder: Page): Promise<{ code: string; url: string }> {
  await holder.getByTestId("link-add").click();
  await expect(holder.getByTestId("link-code")).toHaveText(/^[A-Z2-7]{10}$/);
  const code = (await holder.getByTestId("link-code").textContent()) ?? "";
  const url = (await holder.getByTestId("link-qr").getAttribute("data-url")) ?? "";
  return { code, url };
}

/** Links `joiner` from `holder` by typing the code; both end linked. */
export async function linkByCode(holder: Page, joiner: Page): Promise<void> {
  await holder.goto("/account");
  await joiner.goto("/account");
  const { code } = await addDevice(holder);
  await joiner.getByTestId("link-code-input").fill(code);
  await joiner.getByTestId("link-join").click();
  await compareAndConfirm(holder, joiner);
  await expect(holder.getByTestId("link-done")).toContainText("The new device is linked", { timeout: 30_000 });
  await expect(joiner.getByTestId("link-done")).toContainText("This device is linked", { timeout: 30_000 });
}
