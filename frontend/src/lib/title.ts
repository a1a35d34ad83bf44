"use client";

import { useEffect } from "react";

const SITE = "HDX";

/** Each page's name in the browser's tab and history, by its path. */
const PAGE_NAMES: Record<string, string> = {
  "/": "Overview",
  "/upload/": "Upload data",
  "/datasets/": "Datasets",
  "/datasets/view/": "Dataset",
  "/computations/": "Computations",
  "/computations/new/": "New computation",
  "/computations/view/": "Computation",
  "/approvals/": "Approvals",
  "/audit/": "Audit trail",
  "/settings/": "Settings",
  "/login/": "Sign in",
  "/register/": "Register your organization",
  "/forgot-password/": "Reset your password",
  "/verify-email/": "Verify your e-mail",
};

export function pageTitle(name: string): string {
  return `${name} · ${SITE}`;
}

/** The document title for a path ("/datasets" and "/datasets/" alike), or null for an unknown path. */
export function titleForPath(pathname: string): string | null {
  const path = pathname.endsWith("/") ? pathname : `${pathname}/`;
  const name = PAGE_NAMES[path];
  return name ? pageTitle(name) : null;
}

/** Sets the document title while the calling page is shown (pages are client-rendered in the static export). */
export function usePageTitle(title: string | null): void {
  useEffect(() => {
    if (title) document.title = title;
  }, [title]);
}
