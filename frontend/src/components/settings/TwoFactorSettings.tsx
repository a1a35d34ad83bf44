"use client";

import { useState, type FormEvent } from "react";
import { Button } from "@/components/Button";
import { TextField } from "@/components/Field";
import type { FieldError } from "@/lib/api";
import { myAccount } from "@/lib/hdx";
import { useAction } from "@/lib/hooks";
import type { TotpSetup } from "@/lib/types";
import {
  groupedSecret,
  messageFor,
  serverFieldErrors,
  totpCodeProblems,
  totpDisableBody,
  totpDisableFieldFor400,
  totpDisableProblems,
  totpEnableBody,
} from "./account";
import { FormOutcome } from "./FormOutcome";
import { useFocusOutcome } from "./useFocusOutcome";

const CODE_HINT = "The 6-digit code your authenticator app shows now for HDX.";

function CodeField({ value, onChange, error }: { value: string; onChange: (value: string) => void; error?: string }) {
  return (
    <TextField
      label="Code from your authenticator app"
      name="code"
      inputMode="numeric"
      autoComplete="one-time-code"
      required
      value={value}
      onChange={(e) => onChange(e.target.value)}
      hint={CODE_HINT}
      error={error}
    />
  );
}

/** Two-factor sign-in of the signed-in user: its state, turning it on (setup, then a code) and off. */
export function TwoFactorSettings({ enabled, onChanged }: { enabled: boolean; onChanged: () => void }) {
  const [done, setDone] = useState("");
  const { container, focusOutcome } = useFocusOutcome<HTMLDivElement>();

  const changed = (message: string) => {
    setDone(message);
    onChanged();
    focusOutcome();
  };

  return (
    <div ref={container} className="max-w-xl space-y-4">
      <h3 id="totp-title" className="font-semibold text-slate-900">
        Two-factor sign-in
      </h3>
      <p className="text-sm text-slate-800">
        Status: <strong>{enabled ? "On" : "Off"}</strong>.{" "}
        {enabled
          ? "Signing in needs your password and a code from your authenticator app."
          : "Signing in needs only your password. With two-factor sign-in, it also needs a code from an authenticator app on your phone."}
      </p>
      {done && <FormOutcome error={null} placed={[]} fields={[]} success={done} />}
      {enabled ? (
        <TurnOff onDone={changed} />
      ) : (
        <TurnOn onDone={changed} onStart={() => setDone("")} />
      )}
    </div>
  );
}

function TurnOn({ onDone, onStart }: { onDone: (message: string) => void; onStart: () => void }) {
  const [enrolment, setEnrolment] = useState<TotpSetup | null>(null);
  const [code, setCode] = useState("");
  const [problems, setProblems] = useState<FieldError[]>([]);
  const setup = useAction(myAccount.totpSetup);
  const enable = useAction(myAccount.totpEnable);
  const { container, focusOutcome } = useFocusOutcome<HTMLDivElement>();

  const start = async () => {
    onStart();
    const started = await setup.run();
    if (started) {
      setEnrolment(started);
      setCode("");
      setProblems([]);
      enable.clearError();
    }
    focusOutcome();
  };

  const confirm = async (event: FormEvent) => {
    event.preventDefault();
    enable.clearError();
    const found = totpCodeProblems(code);
    setProblems(found);
    if (found.length === 0 && (await enable.run(totpEnableBody(code)))) {
      setEnrolment(null);
      onDone("Two-factor sign-in is on. From your next sign-in, HDX asks for a code from your authenticator app.");
      return;
    }
    focusOutcome();
  };

  // The only 400 of /auth/totp/enable is about the code (wrong, already used, or no setup started).
  const placed = serverFieldErrors(enable.error, () => "code");
  const errors = [...problems, ...placed];
  return (
    <div ref={container} className="space-y-4">
      {!enrolment ? (
        <>
          <FormOutcome error={setup.error} placed={[]} fields={[]} />
          <Button onClick={start} busy={setup.pending}>
            Set up two-factor sign-in
          </Button>
        </>
      ) : (
        <form onSubmit={confirm} className="space-y-4 rounded-lg border border-slate-200 bg-slate-50 p-4" noValidate aria-labelledby="totp-setup-title">
          <h4 id="totp-setup-title" className="font-semibold text-slate-900">
            Add HDX to your authenticator app
          </h4>
          <ol className="list-inside list-decimal space-y-3 text-sm text-slate-800">
            <li>
              In your authenticator app, add an account by entering a setup key, and type this key (spaces do not matter):
              <p id="totp-secret" data-outcome tabIndex={-1} className="mt-2 break-all rounded-md border border-slate-300 bg-white px-3 py-2 font-mono text-base tracking-wider text-slate-900">
                {groupedSecret(enrolment.secret)}
              </p>
              <span className="mt-1 block text-slate-600">
                Time-based, 6 digits, a new code every 30 seconds. On a phone with the app installed you can instead{" "}
                <a href={enrolment.otpauth_uri} className="font-medium text-blue-800 underline">
                  open this key in your authenticator app
                </a>
                .
              </span>
            </li>
            <li>Enter the code the app now shows, to confirm that it works.</li>
          </ol>
          <CodeField
            value={code}
            onChange={(value) => {
              setCode(value);
              setProblems([]);
            }}
            error={messageFor(errors, "code")}
          />
          <p className="text-sm text-slate-700">
            The exchange gives no recovery codes. Keep the setup key above somewhere safe: with it you can add HDX to a new
            authenticator app if you lose your phone. Turning two-factor sign-in off again needs your password and a code.
          </p>
          <FormOutcome error={enable.error} placed={placed} fields={["code"]} />
          <div className="flex flex-wrap gap-3">
            <Button type="submit" busy={enable.pending}>
              Turn on two-factor sign-in
            </Button>
            <Button variant="secondary" disabled={enable.pending} onClick={() => setEnrolment(null)}>
              Cancel
            </Button>
          </div>
        </form>
      )}
    </div>
  );
}

function TurnOff({ onDone }: { onDone: (message: string) => void }) {
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [problems, setProblems] = useState<FieldError[]>([]);
  const disable = useAction(myAccount.totpDisable);
  const { container, focusOutcome } = useFocusOutcome<HTMLFormElement>();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    disable.clearError();
    const found = totpDisableProblems(password, code);
    setProblems(found);
    if (found.length === 0 && (await disable.run(totpDisableBody(password, code)))) {
      onDone("Two-factor sign-in is off. Signing in now needs only your password.");
      return;
    }
    focusOutcome();
  };

  const placed = serverFieldErrors(disable.error, totpDisableFieldFor400);
  const errors = [...problems, ...placed];
  return (
    <form ref={container} onSubmit={submit} className="space-y-4 rounded-lg border border-slate-200 bg-slate-50 p-4" noValidate aria-labelledby="totp-off-title">
      <h4 id="totp-off-title" className="font-semibold text-slate-900">
        Turn off two-factor sign-in
      </h4>
      <TextField
        label="Password"
        name="password"
        type="password"
        autoComplete="current-password"
        required
        value={password}
        onChange={(e) => {
          setPassword(e.target.value);
          setProblems([]);
        }}
        error={messageFor(errors, "password")}
      />
      <CodeField
        value={code}
        onChange={(value) => {
          setCode(value);
          setProblems([]);
        }}
        error={messageFor(errors, "code")}
      />
      <FormOutcome error={disable.error} placed={placed} fields={["password", "code"]} />
      <Button type="submit" variant="danger" busy={disable.pending}>
        Turn off two-factor sign-in
      </Button>
    </form>
  );
}
