"use client";

import { AuthCard } from "@/components/AuthCard";
import { TextLink } from "@/components/TextLink";
import { pageTitle, usePageTitle } from "@/lib/title";

export default function NotFound() {
  usePageTitle(pageTitle("Page not found"));
  return (
    <AuthCard title="Page not found" intro="There is no page at this address. It may have moved, or the link may be mistyped.">
      <ul className="space-y-2">
        <li>
          <TextLink href="/">Go to the overview</TextLink>
        </li>
        <li>
          <TextLink href="/login/">Sign in</TextLink>
        </li>
      </ul>
    </AuthCard>
  );
}
