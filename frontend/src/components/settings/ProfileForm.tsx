"use client";

import { useState, type FormEvent } from "react";
import { Button } from "@/components/Button";
import { TextField } from "@/components/Field";
import type { FieldError } from "@/lib/api";
import { myAccount } from "@/lib/hdx";
import { useAction } from "@/lib/hooks";
import type { Me } from "@/lib/types";
import { FULL_NAME_MAX_LENGTH, PHONE_MAX_LENGTH, messageFor, profileBody, profileProblems, serverFieldErrors } from "./account";
import { FormOutcome } from "./FormOutcome";
import { useFocusOutcome } from "./useFocusOutcome";

export function ProfileForm({ me, onSaved }: { me: Me; onSaved: (updated: Me) => void }) {
  const [fullName, setFullName] = useState(me.full_name);
  const [phone, setPhone] = useState(me.phone ?? "");
  const [problems, setProblems] = useState<FieldError[]>([]);
  const [saved, setSaved] = useState(false);
  const save = useAction(myAccount.updateProfile);
  const { container, focusOutcome } = useFocusOutcome<HTMLFormElement>();

  const edited = () => {
    setSaved(false);
    setProblems([]);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    save.clearError();
    const body = profileBody(fullName, phone);
    const found = profileProblems(body);
    setProblems(found);
    if (found.length === 0) {
      const updated = await save.run(body);
      if (updated) {
        setFullName(updated.full_name);
        setPhone(updated.phone ?? "");
        setSaved(true);
        onSaved(updated);
      }
    }
    focusOutcome();
  };

  const placed = serverFieldErrors(save.error);
  const errors = [...problems, ...placed];
  return (
    <form ref={container} onSubmit={submit} className="max-w-xl space-y-4" noValidate aria-labelledby="profile-title">
      <h3 id="profile-title" className="font-semibold text-slate-900">
        Profile
      </h3>
      <p className="text-sm text-slate-700">
        Your email address ({me.email}), role and organization are set by your organization and cannot be changed here.
      </p>
      <TextField
        label="Full name"
        name="full_name"
        autoComplete="name"
        required
        maxLength={FULL_NAME_MAX_LENGTH}
        value={fullName}
        onChange={(e) => {
          setFullName(e.target.value);
          edited();
        }}
        error={messageFor(errors, "full_name")}
      />
      <TextField
        label="Phone"
        name="phone"
        type="tel"
        autoComplete="tel"
        maxLength={PHONE_MAX_LENGTH}
        value={phone}
        onChange={(e) => {
          setPhone(e.target.value);
          edited();
        }}
        hint="Optional. Leave empty to remove your number."
        error={messageFor(errors, "phone")}
      />
      <FormOutcome
        error={save.error}
        placed={placed}
        fields={["full_name", "phone"]}
        success={saved ? "Profile saved." : undefined} />
      <Button type="submit" busy={save.pending}>
        Save profile
      </Button>
    </form>
  );
}
