// The filesystem store's presigned links (app/api/blobs, the embedded default's store), over HTTP
// against the embedded server: the URL is the authorization, so a link whose MAC is not the
// server's is refused with 403 for both operations, whoever asks. (The pg server keeps documents
// in S3 when the test store runs, and then serves no blob links: e2e/api-input.spec.ts.)
import { expect, test } from "@playwright/test";
import { anonymous, dispose, expectApiError, forgedBlobRequest, projectBaseURL, send, type Actor } from "./support/api";

let caller: Actor;
test.beforeAll(async ({ playwright }, testInfo) => {
  caller = await anonymous(playwright, projectBaseURL(testInfo.project.use.baseURL));
});
test.afterAll(() => dispose(caller));

for (const method of ["GET", "PUT"] as const) {
  test(`a forged blob link (${method}) → 403 (embedded)`, async () => {
    const answer = await send(caller, forgedBlobRequest(method));
    expect(answer.status, answer.text).toBe(403);
    expect(expectApiError(answer).code).toBe("forbidden");
  });
}
