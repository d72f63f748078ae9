// Smoke test of the test stack itself: the server on real PostgreSQL answers /sign-in.
import { expect, test } from "@playwright/test";

test("sign-in page answers 200 (postgres)", async ({ page }) => {
  const response = await page.goto("/sign-in");
  expect(response?.status()).toBe(200);
});
