// The admin page's calls: staff accounts (lib/server/staff/accounts.ts behind /api/admin/staff).
import { api } from "./api";
import { chainReport } from "@/lib/shared/audit";
import { holdAnswer } from "@/lib/shared/consult-list";
import { signedOutAnswer, staffAnswer, staffLinkAnswer, type StaffRole } from "@/lib/shared/staff";

const at = (id: string, action: string) => `/api/admin/staff/${encodeURIComponent(id)}/${action}`;

export const adminApi = {
  create: (input: { name: string; email: string; role: StaffRole }) => api.post("/api/admin/staff", input, staffLinkAnswer),
  disable: (id: string) => api.post(at(id, "disable"), {}, staffAnswer),
  enable: (id: string) => api.post(at(id, "enable"), {}, staffAnswer),
  reset: (id: string) => api.post(at(id, "reset"), {}, staffLinkAnswer),
  role: (id: string, role: StaffRole) => api.post(at(id, "role"), { role }, staffAnswer),
  signOut: (id: string) => api.post(at(id, "sign-out"), {}, signedOutAnswer),
};

/** Checks the audit trail's chain on the server (POST /api/admin/audit/verify). */
export const verifyAuditChain = (onOpen: boolean) => api.post("/api/admin/audit/verify", { onOpen }, chainReport);

/** A consult's legal hold (POST/DELETE /api/admin/consults/:id/hold). */
export const legalHoldApi = {
  place: (consultId: string, reason: string) => api.post(`/api/admin/consults/${encodeURIComponent(consultId)}/hold`, { reason }, holdAnswer),
  release: (consultId: string) => api.delete(`/api/admin/consults/${encodeURIComponent(consultId)}/hold`),
};
