"use client";

import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import * as client from "./api";
import { accounts } from "./hdx";
import type { Me } from "./types";

type Status = "restoring" | "signed-in" | "signed-out";

interface Session {
  status: Status;
  user: Me | null;
  /** Why the last session ended, shown on the sign-in page; null after a deliberate sign-out. */
  notice: string | null;
  signIn: (email: string, password: string, totpCode?: string) => Promise<void>;
  signOut: (notice?: string) => Promise<void>;
  /** An email address carried from one sign-in step to the next (registration, verification, sign-in). */
  pendingEmail: string;
  setPendingEmail: (email: string) => void;
}

const SessionContext = createContext<Session | null>(null);

export const SESSION_ENDED = "Your session ended; sign in again to continue.";

/**
 * A marker (never a token) kept for the browser tab while someone is signed in, so that a session
 * found lost when the page is opened again is explained on the sign-in page.
 */
const MARKER = "hdx.signed-in";

function marker(on: boolean | null): boolean {
  try {
    if (on === true) window.sessionStorage.setItem(MARKER, "1");
    if (on === false) window.sessionStorage.removeItem(MARKER);
    return window.sessionStorage.getItem(MARKER) === "1";
  } catch {
    return false;
  }
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<Status>("restoring");
  const [user, setUser] = useState<Me | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [pendingEmail, setPendingEmail] = useState("");

  useEffect(() => {
    let active = true;
    const restore = async () => {
      const restored = client.hasAccessToken() || (await client.refreshSession());
      const me = restored ? await accounts.me().catch(() => null) : null;
      if (!active) return;
      if (!me && marker(null)) setNotice(SESSION_ENDED);
      marker(me !== null);
      setUser(me);
      setStatus(me ? "signed-in" : "signed-out");
    };
    void restore();
    const unsubscribe = client.onSignedOut(() => {
      setUser(null);
      setStatus("signed-out");
      setNotice(SESSION_ENDED);
    });
    return () => {
      active = false;
      unsubscribe();
    };
  }, []);

  const signIn = useCallback(async (email: string, password: string, totpCode?: string) => {
    await client.signIn(email, password, totpCode);
    const me = await accounts.me();
    marker(true);
    setNotice(null);
    setUser(me);
    setStatus("signed-in");
  }, []);

  const signOut = useCallback(async (reason?: string) => {
    await client.signOut().catch(() => undefined);
    marker(false);
    setUser(null);
    setStatus("signed-out");
    setNotice(reason ?? null);
  }, []);

  const value = useMemo(
    () => ({ status, user, notice, signIn, signOut, pendingEmail, setPendingEmail }),
    [status, user, notice, signIn, signOut, pendingEmail],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession must be used inside SessionProvider");
  return session;
}
