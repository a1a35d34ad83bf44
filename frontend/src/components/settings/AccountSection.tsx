"use client";

import { ErrorAlert } from "@/components/Alert";
import { Loading } from "@/components/Loading";
import { accounts } from "@/lib/hdx";
import { useResource } from "@/lib/hooks";
import type { Me } from "@/lib/types";
import { PasswordForm } from "./PasswordForm";
import { ProfileForm } from "./ProfileForm";
import { TwoFactorSettings } from "./TwoFactorSettings";

/** The signed-in user's own account: profile, password and two-factor sign-in. */
export function AccountSection({ user }: { user: Me }) {
  // Read afresh: the session's copy is from sign-in and does not follow changes made here.
  const me = useResource(accounts.me, `me:${user.id}`);
  if (me.loading && !me.data) return <Loading label="Loading your account…" />;
  const current = me.data ?? user;

  return (
    <div className="space-y-8">
      {me.error && <ErrorAlert error={me.error} />}
      <ProfileForm key={current.id} me={current} onSaved={me.reload} />
      <hr className="border-slate-200" />
      <PasswordForm email={current.email} />
      <hr className="border-slate-200" />
      <TwoFactorSettings enabled={current.totp_enabled} onChanged={me.reload} />
    </div>
  );
}
