import "server-only";
// The server's check of a new password. The rules and the common-password list are shared with
// the browser (lib/shared/password-policy.ts): the list is small enough to ship to it too.
export { passwordProblem as newPasswordProblem } from "@/lib/shared/password-policy";
