-- The patient's name, sealed on the join page to the doctor's per-consult name key (PROTOCOL §6):
-- base64url ciphertext only the doctor's device opens. Patients joining from now on are "Patient"
-- in User.name and Participant.displayName.
ALTER TABLE "Participant" ADD COLUMN "sealedName" TEXT;
