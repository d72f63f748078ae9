-- AlterTable
ALTER TABLE "Device" ADD COLUMN     "boxKey" BYTEA,
ADD COLUMN     "boxKeySig" BYTEA,
ADD COLUMN     "linkedAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "DeviceLink" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "fromDeviceId" UUID NOT NULL,
    "toDeviceId" UUID,
    "state" TEXT NOT NULL DEFAULT 'open',
    "messageSeq" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "DeviceLink_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DeviceLinkMessage" (
    "id" BIGSERIAL NOT NULL,
    "linkId" UUID NOT NULL,
    "seq" INTEGER NOT NULL,
    "fromDeviceId" UUID NOT NULL,
    "type" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DeviceLinkMessage_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "DeviceLink_expiresAt_idx" ON "DeviceLink"("expiresAt");

-- CreateIndex
CREATE UNIQUE INDEX "DeviceLink_userId_code_key" ON "DeviceLink"("userId", "code");

-- CreateIndex
CREATE UNIQUE INDEX "DeviceLinkMessage_linkId_seq_key" ON "DeviceLinkMessage"("linkId", "seq");

-- AddForeignKey
ALTER TABLE "DeviceLink" ADD CONSTRAINT "DeviceLink_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DeviceLinkMessage" ADD CONSTRAINT "DeviceLinkMessage_linkId_fkey" FOREIGN KEY ("linkId") REFERENCES "DeviceLink"("id") ON DELETE CASCADE ON UPDATE CASCADE;
