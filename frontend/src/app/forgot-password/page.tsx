"use client";

import { useState, type FormEvent } from "react";
import { Alert, ErrorAlert, fieldError } from "@/components/Alert";
import { AuthCard } from "@/components/AuthCard";
import { Button } from "@/components/Button";
import { TextField } from "@/components/Field";
import { TextLink } from "@/components/TextLink";
import { accounts } from "@/lib/hdx";
import { useAction } from "@/lib/hooks";
import { useSession } from "@/lib/session";

type Step = "email" | "code" | "password" | "done";

const INTRO: Record<Step, string> = {
  email: "Enter the email address of your account. We mail you a 6-digit code to choose a new password. If you were invited by a colleague, use this page to set your first password.",
  code: "Enter the code we mailed you. It is valid for 10 minutes.",
  password: "Choose your new password. Every device signed in to this account is signed out.",
  done: "",
};

export default function ForgotPasswordPage() {
  const { pendingEmail, setPendingEmail } = useSession();
  const [step, setStep] = useState<Step>("email");
  const [email, setEmail] = useState(pendingEmail);
  const [code, setCode] = useState("");
  const [resetToken, setResetToken] = useState("");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [mismatch, setMismatch] = useState(false);
  const request = useAction(accounts.forgotPassword);
  const check = useAction(accounts.verifyResetCode);
  const reset = useAction(accounts.resetPassword);

  const sendCode = async (event: FormEvent) => {
    event.preventDefault();
    if (await request.run(email.trim())) setStep("code");
  };

  const checkCode = async (event: FormEvent) => {
    event.preventDefault();
    const answer = await check.run(email.trim(), code);
    if (answer) {
      setResetToken(answer.reset_token);
      setStep("password");
    }
  };

  const choosePassword = async (event: FormEvent) => {
    event.preventDefault();
    setMismatch(password !== confirm);
    if (password !== confirm) return;
    if (await reset.run(resetToken, password)) {
      setResetToken("");
      setPendingEmail(email.trim());
      setStep("done");
    }
  };

  if (step === "done") {
    return (
      <AuthCard title="Password changed">
        <Alert tone="success">Your new password is set.</Alert>
        <p className="mt-4">
          <TextLink href="/login/">Sign in with your new password</TextLink>
        </p>
      </AuthCard>
    );
  }

  return (
    <AuthCard
      title="Reset your password"
      intro={INTRO[step]}
      footer={
        <p>
          Remembered it? <TextLink href="/login/">Sign in</TextLink>
        </p>
      }
    >
      {step === "email" && (
        <form method="post" onSubmit={sendCode} className="space-y-4" noValidate>
          <ErrorAlert error={request.error} shownFields={["email"]} />
          <TextField label="Email address" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} error={fieldError(request.error, "email")} />
          <Button type="submit" className="w-full" busy={request.pending}>
            Send me a code
          </Button>
        </form>
      )}
      {step === "code" && (
        <form method="post" onSubmit={checkCode} className="space-y-4" noValidate>
          <Alert tone="info">If {email.trim()} has an account, a code is on its way.</Alert>
          <ErrorAlert error={check.error} shownFields={["code"]} />
          <TextField label="Code from the email" inputMode="numeric" autoComplete="one-time-code" pattern="\d{6}" maxLength={6} required autoFocus value={code} onChange={(e) => setCode(e.target.value.trim())} error={fieldError(check.error, "code")} />
          <Button type="submit" className="w-full" busy={check.pending}>
            Continue
          </Button>
          <Button variant="secondary" className="w-full" onClick={() => setStep("email")}>
            Use another address or get a new code
          </Button>
        </form>
      )}
      {step === "password" && (
        <form method="post" onSubmit={choosePassword} className="space-y-4" noValidate>
          <ErrorAlert error={reset.error} shownFields={["password", "new_password"]} />
          <TextField label="New password" type="password" autoComplete="new-password" required autoFocus value={password} onChange={(e) => setPassword(e.target.value)} error={fieldError(reset.error, "password", "new_password")} hint="At least 12 characters. Avoid common words and your email address." />
          <TextField label="Repeat the new password" type="password" autoComplete="new-password" required value={confirm} onChange={(e) => setConfirm(e.target.value)} error={mismatch ? "The two passwords differ." : undefined} />
          <Button type="submit" className="w-full" busy={reset.pending}>
            Set new password
          </Button>
        </form>
      )}
    </AuthCard>
  );
}
