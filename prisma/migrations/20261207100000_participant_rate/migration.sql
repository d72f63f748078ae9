-- CreateTable
CREATE TABLE "ParticipantRate" (
    "participantId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "windowStart" TIMESTAMP(3) NOT NULL,
    "count" INTEGER NOT NULL,

    CONSTRAINT "ParticipantRate_pkey" PRIMARY KEY ("participantId","kind")
);

-- CreateIndex
CREATE INDEX "ParticipantRate_windowStart_idx" ON "ParticipantRate"("windowStart");

-- AddForeignKey
ALTER TABLE "ParticipantRate" ADD CONSTRAINT "ParticipantRate_participantId_fkey" FOREIGN KEY ("participantId") REFERENCES "Participant"("id") ON DELETE CASCADE ON UPDATE CASCADE;
