-- CreateTable
CREATE TABLE "KeyBackup" (
    "userId" UUID NOT NULL,
    "publicKey" BYTEA NOT NULL,
    "memoryKiB" INTEGER NOT NULL,
    "iterations" INTEGER NOT NULL,
    "parallelism" INTEGER NOT NULL,
    "salt" BYTEA NOT NULL,
    "iv" BYTEA NOT NULL,
    "wrapped" BYTEA NOT NULL,
    "unlockWindowStart" TIMESTAMP(3),
    "unlockCount" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "KeyBackup_pkey" PRIMARY KEY ("userId")
);

-- CreateTable
CREATE TABLE "KeyCopy" (
    "id" UUID NOT NULL,
    "consultId" UUID NOT NULL,
    "recipient" TEXT NOT NULL,
    "recipientId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "epoch" INTEGER NOT NULL,
    "keyId" BYTEA NOT NULL,
    "box" BYTEA NOT NULL,
    "fromDeviceId" UUID NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "KeyCopy_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "KeyCopy_consultId_idx" ON "KeyCopy"("consultId");

-- CreateIndex
CREATE UNIQUE INDEX "KeyCopy_recipient_recipientId_consultId_kind_keyId_key" ON "KeyCopy"("recipient", "recipientId", "consultId", "kind", "keyId");

-- AddForeignKey
ALTER TABLE "KeyBackup" ADD CONSTRAINT "KeyBackup_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "KeyCopy" ADD CONSTRAINT "KeyCopy_consultId_fkey" FOREIGN KEY ("consultId") REFERENCES "Consult"("id") ON DELETE CASCADE ON UPDATE CASCADE;
