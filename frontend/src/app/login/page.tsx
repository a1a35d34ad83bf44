"use client";

import { useRouter, useSearchParams } from "next/navigation";
import { Suspense, useEffect, useState, type FormEvent } from "react";
import { Alert, ErrorAlert, fieldError } from "@/components/Alert";
import { AuthCard } from "@/components/AuthCard";
import { Button } from "@/components/Button";
import { TextField } from "@/components/Field";
import { TextLink } from "@/components/TextLink";
import { ApiError } from "@/lib/api";
import { useAction } from "@/lib/hooks";
import { safeReturnPath } from "@/lib/returnTo";
import { useSession } from "@/lib/session";

export default function LoginPage() {
  return (
    <Suspense>
      <LoginForm />
    </Suspense>
  );
}

function LoginForm() {
  const router = useRouter();
  const returnTo = safeReturnPath(useSearchParams().get("next"));
  const session = useSession();
  const [email, setEmail] = useState(session.pendingEmail);
  const [password, setPassword] = useState("");
  const [totpCode, setTotpCode] = useState("");
  const [needsTotp, setNeedsTotp] = useState(false);
  const login = useAction(async (totp?: string) => {
    try {
      await session.signIn(email, password, totp);
    } catch (error) {
      if (error instanceof ApiError && error.code === "totp_required") setNeedsTotp(true);
      throw error;
    }
  });

  useEffect(() => {
    if (session.status === "signed-in") router.replace(returnTo ?? "/");
  }, [session.status, router, returnTo]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void login.run(needsTotp ? totpCode : undefined);
  };

  const verify = () => {
    session.setPendingEmail(email);
    router.push("/verify-email/");
  };

  const code = login.error?.code;
  return (
    <AuthCard
      title="Sign in"
      intro="Use the email address and password of your HDX account."
      footer={
        <p>
          New to HDX? <TextLink href="/register/">Register your organization</TextLink>
        </p>
      }
    >
      <form method="post" onSubmit={submit} className="space-y-4" noValidate>
        {session.notice ? (
          <Alert tone="info">{session.notice}</Alert>
        ) : (
          returnTo && <Alert tone="info">Sign in to continue to the page you opened.</Alert>
        )}
        {code === "email_not_verified" ? (
          <Alert tone="warning" title="Your email address is not verified yet">
            <p>Enter the code we mailed you to finish setting up your account.</p>
            <Button variant="secondary" className="mt-2" onClick={verify}>
              Verify my email address
            </Button>
          </Alert>
        ) : (
          code !== "totp_required" && <ErrorAlert error={login.error} shownFields={["email", "password"]} />
        )}
        {needsTotp ? (
          <TextField
            label="Code from your authenticator app"
            hint="Two-step verification is on for this account. Enter the 6-digit code your app shows now."
            name="totp_code"
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="\d{6}"
            maxLength={6}
            required
            autoFocus
            value={totpCode}
            onChange={(event) => setTotpCode(event.target.value.trim())}
            error={code === "invalid_totp" ? login.error?.message : undefined}
          />
        ) : (
          <>
            <TextField
              label="Email address"
              type="email"
              name="email"
              autoComplete="username"
              required
              value={email}
              onChange={(event) => setEmail(event.target.value)}
              error={fieldError(login.error, "email")}
            />
            <TextField
              label="Password"
              type="password"
              name="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(event) => setPassword(event.target.value)}
              error={fieldError(login.error, "password")}
            />
          </>
        )}
        <Button type="submit" className="w-full" busy={login.pending}>
          {needsTotp ? "Verify and sign in" : "Sign in"}
        </Button>
        {needsTotp && (
          <Button variant="secondary" className="w-full" onClick={() => setNeedsTotp(false)}>
            Use a different account
          </Button>
        )}
        <p className="text-sm">
          <TextLink href="/forgot-password/">Forgot your password?</TextLink>
        </p>
      </form>
    </AuthCard>
  );
}
