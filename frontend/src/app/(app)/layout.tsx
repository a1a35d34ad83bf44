"use client";

import { useRouter } from "next/navigation";
import { useCallback, useEffect, type ReactNode } from "react";
import { AppShell } from "@/components/AppShell";
import { IdleWarning } from "@/components/IdleWarning";
import { Loading } from "@/components/Loading";
import { useIdleTimeout } from "@/lib/idle";
import { LiveProvider } from "@/lib/liveContext";
import { useSession } from "@/lib/session";
import type { Me } from "@/lib/types";

export default function SignedInLayout({ children }: { children: ReactNode }) {
  const router = useRouter();
  const { status, user } = useSession();

  useEffect(() => {
    if (status === "signed-out") router.replace("/login/");
  }, [status, router]);

  if (status !== "signed-in" || !user) {
    return (
      <main id="main" className="mx-auto max-w-md px-4 py-16">
        <Loading label={status === "restoring" ? "Restoring your session…" : "Opening the sign-in page…"} />
      </main>
    );
  }
  return <SignedIn user={user}>{children}</SignedIn>;
}

function SignedIn({ user, children }: { user: Me; children: ReactNode }) {
  const { signOut } = useSession();
  const timeout = useCallback(
    () => void signOut("You were signed out after 15 minutes without activity, to protect patient data."),
    [signOut],
  );
  const { secondsLeft, stayActive } = useIdleTimeout(timeout);
  return (
    <LiveProvider>
      <AppShell user={user} onSignOut={() => void signOut()}>
        {children}
        <IdleWarning secondsLeft={secondsLeft} onStay={stayActive} />
      </AppShell>
    </LiveProvider>
  );
}
