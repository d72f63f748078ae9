// Issue 22, items 3 and 4: a compliance officer's minute. An admin sees the consult in the clinic's
// list (metadata only), opens the audit viewer, filters it to one consult, sees the chain intact,
// and exports: the CSV holds exactly that consult's rows, and the JSON-lines export checks out on
// its own (lib/server/audit/export-check.ts, as `npm run admin -- audit-verify --file` runs it).
import { readFile } from "node:fs/promises";
import { expect, test } from "@playwright/test";
import { checkExport } from "../lib/server/audit/export-check";
import { createConsultAnswer } from "../lib/shared/api";
import { DEMO_DOCTOR, dispose, inviteTokenOf, projectBaseURL, redeemInvite, send, signInStaff, type Actor } from "./support/api";
import { TestDb } from "./support/db";
import { DEMO, signIn } from "./flows/consult";

test("an admin filters the audit log to one consult and exports exactly its rows", async ({ page, playwright, baseURL }) => {
  const base = projectBaseURL(baseURL);
  const db = await TestDb.connect();
  const actors: Actor[] = [];
  try {
    const doctor = await signInStaff(playwright, base, DEMO_DOCTOR);
    actors.push(doctor);
    const create = async () => createConsultAnswer.parse(JSON.parse((await send(doctor, { method: "POST", path: "/api/consults", data: {} })).text));
    const wanted = await create();
    const other = await create();
    actors.push(await redeemInvite(playwright, base, inviteTokenOf(wanted.url), "patient"));
    actors.push(await redeemInvite(playwright, base, inviteTokenOf(other.url), "other patient"));

    await signIn(page, DEMO.admin);
    await expect(page).toHaveURL(/\/admin$/);

    // The consult list (item 4): metadata and counts, and it says that is all it shows.
    await page.getByTestId("consult-list-link").click();
    await expect(page.getByTestId("consult-list-notice")).toContainText("Metadata only");
    const row = page.locator(`[data-testid="consult-list-row"][data-consult-id="${wanted.id}"]`);
    await expect(row.getByTestId("consult-list-state")).toHaveText("open");
    await expect(row.getByTestId("consult-list-messages")).toHaveText("0");
    await expect(row.getByTestId("consult-list-documents")).toHaveText("0");

    // A legal hold (item 5): the doctor's own "delete on the server" is refused until it is released.
    await row.getByTestId("hold-place").click();
    await row.getByTestId("hold-reason").fill("Records request 2026-31");
    await row.getByTestId("hold-confirm").click();
    await expect(row.getByTestId("consult-hold")).toHaveAttribute("data-held", "yes");
    await expect(row.getByTestId("consult-hold")).toContainText("Records request 2026-31");
    const refused = await send(doctor, { method: "DELETE", path: `/api/consults/${wanted.id}/messages` });
    expect(refused.status).toBe(409);
    expect(refused.text).toContain("legal hold");
    await row.getByTestId("hold-release").click();
    await expect(row.getByTestId("consult-hold")).toHaveAttribute("data-held", "no");
    await page.goto("/admin");

    const ids = await db.auditIdsOfConsult(wanted.id);
    expect(ids.length).toBeGreaterThanOrEqual(4); // created, invite redeemed, hold placed, hold released
    await page.getByTestId("audit-viewer-link").click();
    await expect(page).toHaveURL(/\/admin\/audit$/);
    await expect(page.getByTestId("audit-chain")).toHaveAttribute("data-state", "ok");
    // The check the page runs by itself is not a row; "Check again" is.
    await page.getByTestId("audit-chain-check").click();
    await expect(page.getByTestId("audit-chain")).toHaveAttribute("data-state", "ok");

    await page.getByTestId("audit-filter-consult").fill(wanted.id);
    await page.getByTestId("audit-filter-apply").click();
    await expect(page).toHaveURL(new RegExp(`consult=${wanted.id}`));
    const rows = page.getByTestId("audit-row");
    await expect(rows).toHaveCount(ids.length);
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-audit-id")))).toEqual([...ids].reverse());
    await expect(rows.filter({ hasText: "invite.redeemed" })).toHaveCount(1);
    await expect(rows.filter({ hasText: "consult.created" })).toContainText("(doctor)");
    await expect(rows.filter({ hasText: "consult.hold_placed" })).toContainText("Records request 2026-31");

    const [csvDownload] = await Promise.all([page.waitForEvent("download"), page.getByTestId("audit-export").click()]);
    expect(csvDownload.suggestedFilename()).toMatch(/^parley-audit-\d{4}-\d{2}-\d{2}\.csv$/);
    const [header, ...lines] = (await readFile(await csvDownload.path(), "utf8")).trimEnd().split("\r\n");
    const columns = (header ?? "").split(",");
    const idAt = columns.indexOf("id");
    const consultAt = columns.indexOf("consult_id");
    expect(columns).toEqual(expect.arrayContaining(["ip", "user_agent", "prev_hash", "hash"]));
    expect(lines.map((l) => l.split(",")[idAt])).toEqual(ids);
    expect(new Set(lines.map((l) => l.split(",")[consultAt]))).toEqual(new Set([wanted.id]));

    const [jsonDownload] = await Promise.all([page.waitForEvent("download"), page.getByTestId("audit-export-jsonl").click()]);
    const check = checkExport(await readFile(await jsonDownload.path(), "utf8"));
    expect(check).toMatchObject({ error: undefined, firstBroken: undefined, checked: ids.length });
    expect(check.header?.filter).toEqual({ consult: wanted.id });
    expect(await db.auditActions((await db.userIdOf(DEMO.admin)) ?? "")).toEqual(expect.arrayContaining(["consults.listed", "audit.verified", "audit.searched", "audit.exported"]));
  } finally {
    await dispose(...actors);
    await db.close();
  }
});
