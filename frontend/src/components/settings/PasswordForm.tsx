"use client";

import { useState, type FormEvent } from "react";
import { Button } from "@/components/Button";
import { TextField } from "@/components/Field";
import type { FieldError } from "@/lib/api";
import { myAccount } from "@/lib/hdx";
import { useAction } from "@/lib/hooks";
import { useSession } from "@/lib/session";
import {
  PASSWORD_POLICY_HINT,
  changePasswordBody,
  messageFor,
  passwordChangeProblems,
  serverFieldErrors,
} from "./account";
import { FormOutcome } from "./FormOutcome";
import { useFocusOutcome } from "./useFocusOutcome";

export const PASSWORD_CHANGED_NOTICE =
  "Your password was changed. Every sign-in of your account was ended, this one included: sign in with your new password.";

export function PasswordForm({ email }: { email: string }) {
  const { signOut } = useSession();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [confirmation, setConfirmation] = useState("");
  const [problems, setProblems] = useState<FieldError[]>([]);
  const change = useAction(myAccount.changePassword);
  const { container, focusOutcome } = useFocusOutcome<HTMLFormElement>();

  const edited = () => setProblems([]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    change.clearError();
    const entered = { current, next, confirmation, email };
    const found = passwordChangeProblems(entered);
    setProblems(found);
    if (found.length === 0 && (await change.run(changePasswordBody(entered)))) {
      // The exchange revoked every token of the account, this session's too: sign in again.
      await signOut(PASSWORD_CHANGED_NOTICE);
      return;
    }
    focusOutcome();
  };

  // A wrong current password is the only 400 this endpoint gives.
  const placed = serverFieldErrors(change.error, () => "current_password");
  const errors = [...problems, ...placed];
  return (
    <form ref={container} onSubmit={submit} className="max-w-xl space-y-4" noValidate aria-labelledby="password-title">
      <h3 id="password-title" className="font-semibold text-slate-900">
        Change password
      </h3>
      <p className="text-sm text-slate-700">
        Changing your password ends every sign-in of your account: on other browsers and devices, and this one. You will
        be taken to the sign-in page to sign in with the new password.
      </p>
      <TextField
        label="Current password"
        name="current_password"
        type="password"
        autoComplete="current-password"
        required
        value={current}
        onChange={(e) => {
          setCurrent(e.target.value);
          edited();
        }}
        error={messageFor(errors, "current_password")}
      />
      <TextField
        label="New password"
        name="new_password"
        type="password"
        autoComplete="new-password"
        required
        value={next}
        onChange={(e) => {
          setNext(e.target.value);
          edited();
        }}
        hint={PASSWORD_POLICY_HINT}
        error={messageFor(errors, "new_password")}
      />
      <TextField
        label="Confirm new password"
        name="confirm_password"
        type="password"
        autoComplete="new-password"
        required
        value={confirmation}
        onChange={(e) => {
          setConfirmation(e.target.value);
          edited();
        }}
        error={messageFor(errors, "confirm_password")}
      />
      <FormOutcome error={change.error} placed={placed} fields={["current_password", "new_password", "confirm_password"]} />
      <Button type="submit" busy={change.pending}>
        Change password
      </Button>
    </form>
  );
}
