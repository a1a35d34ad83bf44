"use client";

import { useState, type FormEvent } from "react";
import { Alert, ErrorAlert, fieldError } from "@/components/Alert";
import { Button } from "@/components/Button";
import { SelectField, TextField } from "@/components/Field";
import { organization } from "@/lib/hdx";
import { useAction } from "@/lib/hooks";
import { ROLE_LABELS } from "@/lib/navigation";
import type { MemberRole } from "@/lib/types";

export const MEMBER_ROLES: MemberRole[] = ["doctor", "lab_technician", "pharmacist", "org_admin", "patient"];

export function InviteMember({ onInvited }: { onInvited: () => void }) {
  const [email, setEmail] = useState("");
  const [fullName, setFullName] = useState("");
  const [role, setRole] = useState<MemberRole>("doctor");
  const [invited, setInvited] = useState("");
  const invite = useAction(organization.invite);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setInvited("");
    const member = await invite.run(email.trim(), fullName.trim(), role);
    if (member) {
      setInvited(member.email);
      setEmail("");
      setFullName("");
      onInvited();
    }
  };

  return (
    <form onSubmit={submit} className="space-y-4 rounded-lg border border-slate-200 bg-slate-50 p-4" noValidate aria-labelledby="invite-title">
      <h3 id="invite-title" className="font-semibold text-slate-900">Invite a colleague</h3>
      <div className="grid gap-4 md:grid-cols-3">
        <TextField label="Full name" required value={fullName} onChange={(e) => setFullName(e.target.value)} error={fieldError(invite.error, "full_name")} />
        <TextField label="Email address" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} error={fieldError(invite.error, "email")} />
        <SelectField label="Role" required value={role} onChange={(e) => setRole(e.target.value as MemberRole)}>
          {MEMBER_ROLES.map((value) => (
            <option key={value} value={value}>
              {ROLE_LABELS[value]}
            </option>
          ))}
        </SelectField>
      </div>
      <ErrorAlert error={invite.error} shownFields={["email", "full_name"]} />
      {invited && <Alert tone="success">{invited} was invited and received a code by email to choose a password.</Alert>}
      <Button type="submit" busy={invite.pending}>
        Send invitation
      </Button>
    </form>
  );
}
