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
import { replacedCodeHint } from "@/lib/verification";

export default function VerifyEmailPage() {
  const { pendingEmail, setPendingEmail } = useSession();
  const [email, setEmail] = useState(pendingEmail);
  const [code, setCode] = useState("");
  const [verified, setVerified] = useState(false);
  const [resent, setResent] = useState(false);
  // True once a new code was sent during this visit: the earlier e-mail's code no longer works.
  const [replaced, setReplaced] = useState(false);
  const verify = useAction(accounts.verifyEmail);
  const resend = useAction(accounts.sendVerificationCode);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setResent(false);
    resend.clearError();
    if (await verify.run(email.trim(), code)) {
      setPendingEmail(email.trim());
      setVerified(true);
    }
  };

  const hint = replacedCodeHint(verify.error?.code, replaced);

  const sendAgain = async () => {
    setResent(false);
    verify.clearError();
    if (await resend.run(email.trim())) {
      setResent(true);
      setReplaced(true);
    }
  };

  if (verified) {
    return (
      <AuthCard title="Email address verified">
        <Alert tone="success">Your email address is confirmed. You can sign in now.</Alert>
        <p className="mt-4">
          <TextLink href="/login/">Continue to sign in</TextLink>
        </p>
      </AuthCard>
    );
  }

  return (
    <AuthCard
      title="Verify your email address"
      intro="We mailed a 6-digit code to your address. It is valid for 10 minutes."
      footer={
        <p>
          Already verified? <TextLink href="/login/">Sign in</TextLink>
        </p>
      }
    >
      <form method="post" onSubmit={submit} className="space-y-4" noValidate>
        <ErrorAlert error={verify.error ?? resend.error} shownFields={["email", "code"]} />
        {hint && <Alert tone="info">{hint}</Alert>}
        {resent && <Alert tone="success">If this address has an account waiting for verification, a new code is on its way.</Alert>}
        <TextField label="Email address" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} error={fieldError(verify.error ?? resend.error, "email")} />
        <TextField
          label="Verification code"
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="\d{6}"
          maxLength={6}
          required
          value={code}
          onChange={(e) => setCode(e.target.value.trim())}
          error={fieldError(verify.error, "code")}
        />
        <Button type="submit" className="w-full" busy={verify.pending}>
          Verify
        </Button>
        <Button variant="secondary" className="w-full" busy={resend.pending} disabled={!email.trim()} onClick={sendAgain}>
          Send a new code
        </Button>
      </form>
    </AuthCard>
  );
}
