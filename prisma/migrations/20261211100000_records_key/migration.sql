-- CreateTable
CREATE TABLE "RecordsKey" (
    "id" UUID NOT NULL,
    "publicKey" BYTEA NOT NULL,
    "fingerprint" BYTEA NOT NULL,
    "createdById" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "retiredAt" TIMESTAMP(3),

    CONSTRAINT "RecordsKey_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "RecordsKey_fingerprint_key" ON "RecordsKey"("fingerprint");
