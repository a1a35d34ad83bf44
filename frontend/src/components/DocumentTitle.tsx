"use client";

import { usePathname } from "next/navigation";
import { titleForPath, usePageTitle } from "@/lib/title";

/** Gives every page its own title, from its path. */
export function DocumentTitle() {
  usePageTitle(titleForPath(usePathname()));
  return null;
}
