// Smoke test of the test stack itself: the zero-set-up (embedded database) server answers /sign-in.
import { expect, test } from "@playwright/test";

test("sign-in page answers 200 (embedded)", async ({ page }) => {
  const response = await page.goto("/sign-in");
  expect(response?.status()).toBe(200);
});
