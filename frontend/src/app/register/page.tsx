"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { ErrorAlert, fieldError } from "@/components/Alert";
import { AuthCard } from "@/components/AuthCard";
import { Button } from "@/components/Button";
import { CheckboxField, SelectField, TextField } from "@/components/Field";
import { TextLink } from "@/components/TextLink";
import { accounts } from "@/lib/hdx";
import { useAction } from "@/lib/hooks";
import { useSession } from "@/lib/session";
import type { OrganizationType, RegisterBody } from "@/lib/types";

const TYPES: { value: OrganizationType; label: string }[] = [
  { value: "hospital", label: "Hospital" },
  { value: "clinic", label: "Clinic" },
  { value: "laboratory", label: "Laboratory" },
  { value: "pharmacy", label: "Pharmacy" },
];

const SHOWN = ["name", "email", "contact", "type", "location", "password", "privacy_accepted", "full_name"];

export default function RegisterPage() {
  const router = useRouter();
  const { setPendingEmail } = useSession();
  const [form, setForm] = useState<RegisterBody>({
    name: "",
    email: "",
    contact: "",
    type: "hospital",
    location: "",
    password: "",
    privacy_accepted: false,
    full_name: "",
  });
  const [confirm, setConfirm] = useState("");
  const [mismatch, setMismatch] = useState(false);
  const register = useAction(accounts.register);

  const set = <K extends keyof RegisterBody>(key: K, value: RegisterBody[K]) =>
    setForm((current) => ({ ...current, [key]: value }));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const passwordsDiffer = form.password !== confirm;
    setMismatch(passwordsDiffer);
    if (passwordsDiffer) return;
    if (await register.run(form)) {
      setPendingEmail(form.email.trim());
      router.push("/verify-email/");
    }
  };

  const error = (field: string) => fieldError(register.error, field);
  return (
    <AuthCard
      title="Register your organization"
      intro="You become the administrator of your organization's HDX account and can invite colleagues afterwards."
      footer={
        <p>
          Already registered? <TextLink href="/login/">Sign in</TextLink>
        </p>
      }
    >
      <form method="post" onSubmit={submit} className="space-y-4" noValidate>
        <ErrorAlert error={register.error} shownFields={SHOWN} />
        <fieldset className="space-y-4">
          <legend className="text-base font-semibold text-slate-900">Organization</legend>
          <TextField label="Organization name" required value={form.name} onChange={(e) => set("name", e.target.value)} error={error("name")} autoComplete="organization" />
          <SelectField label="Type" required value={form.type} onChange={(e) => set("type", e.target.value as OrganizationType)} error={error("type")}>
            {TYPES.map((type) => (
              <option key={type.value} value={type.value}>
                {type.label}
              </option>
            ))}
          </SelectField>
          <TextField label="Location" hint="City and country" required value={form.location} onChange={(e) => set("location", e.target.value)} error={error("location")} />
          <TextField label="Contact phone" type="tel" required value={form.contact} onChange={(e) => set("contact", e.target.value)} error={error("contact")} autoComplete="tel" />
        </fieldset>
        <fieldset className="space-y-4">
          <legend className="text-base font-semibold text-slate-900">Your account</legend>
          <TextField label="Your full name" value={form.full_name} onChange={(e) => set("full_name", e.target.value)} error={error("full_name")} autoComplete="name" />
          <TextField label="Work email address" type="email" required value={form.email} onChange={(e) => set("email", e.target.value)} error={error("email")} autoComplete="email" hint="We send a 6-digit code to this address to confirm it." />
          <TextField label="Password" type="password" required value={form.password} onChange={(e) => set("password", e.target.value)} error={error("password")} autoComplete="new-password" hint="At least 12 characters. Avoid common words and your email address." />
          <TextField label="Repeat the password" type="password" required value={confirm} onChange={(e) => setConfirm(e.target.value)} error={mismatch ? "The two passwords differ." : undefined} autoComplete="new-password" />
        </fieldset>
        <CheckboxField
          label="I accept the privacy policy: HDX stores our uploads encrypted, replaces patient identifiers with pseudonyms and records every access in the audit trail."
          checked={form.privacy_accepted}
          onChange={(e) => set("privacy_accepted", e.target.checked)}
          error={error("privacy_accepted")}
          required
        />
        <Button type="submit" className="w-full" busy={register.pending}>
          Register
        </Button>
      </form>
    </AuthCard>
  );
}
