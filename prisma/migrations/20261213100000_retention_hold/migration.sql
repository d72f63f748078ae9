-- Issue 22, item 5: legal holds and retention (lib/server/retention.ts).

-- AlterTable
ALTER TABLE "Consult" ADD COLUMN     "heldAt" TIMESTAMP(3),
ADD COLUMN     "heldById" UUID,
ADD COLUMN     "holdReason" TEXT,
ADD COLUMN     "purgeClaimedAt" TIMESTAMP(3),
ADD COLUMN     "purgedAt" TIMESTAMP(3);

-- CreateIndex
CREATE INDEX "Consult_status_endedAt_idx" ON "Consult"("status", "endedAt");
