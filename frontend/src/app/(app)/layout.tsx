"use client";

import { useRouter } from "next/navigation";
import { useCallback, useEffect, useRef, type ReactNode } from "react";
import { AppShell } from "@/components/AppShell";
import { IdleWarning } from "@/components/IdleWarning";
import { Loading } from "@/components/Loading";
import { useIdleTimeout } from "@/lib/idle";
import { LiveProvider } from "@/lib/liveContext";
import { loginHref } from "@/lib/returnTo";
import { useSession } from "@/lib/session";
import type { Me } from "@/lib/types";

export default function SignedInLayout({ children }: { children: ReactNode }) {
  const router = useRouter();
  const { status, user, notice } = useSession();
  const wasSignedIn = useRef(false);

  useEffect(() => {
    if (status === "signed-in") wasSignedIn.current = true;
    if (status !== "signed-out") return;
    // After a deliberate sign-out there is nothing to return to; a lost session or a bookmarked page returns.
    const deliberate = wasSignedIn.current && notice === null;
    router.replace(deliberate ? "/login/" : loginHref(`${window.location.pathname}${window.location.search}`));
  }, [status, notice, router]);

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
