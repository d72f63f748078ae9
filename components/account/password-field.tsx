export const PASSWORD_HINT = "At least 12 characters. A few unrelated words make a strong one; common passwords are refused.";

export function PasswordField({ label = "Password" }: { label?: string }) {
  return (
    <label className="block">
      <span className="mb-1 block text-sm font-medium">{label}</span>
      <input name="password" type="password" autoComplete="new-password" required minLength={12} className="w-full rounded-xl border border-slate-300 px-3 py-2.5" aria-describedby="password-hint" />
      <span id="password-hint" className="mt-1 block text-xs text-slate-500">
        {PASSWORD_HINT}
      </span>
    </label>
  );
}
