"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import type { ReactNode } from "react";
import { NAVIGATION, ROLE_LABELS } from "@/lib/navigation";
import type { Me } from "@/lib/types";
import { Button } from "./Button";

export function AppShell({ user, onSignOut, children }: { user: Me; onSignOut: () => void; children: ReactNode }) {
  const pathname = usePathname();
  const items = NAVIGATION.filter((item) => item.roles.includes(user.role));
  const isCurrent = (href: string) => (href === "/" ? pathname === "/" : pathname.startsWith(href));

  return (
    <div className="flex min-h-screen flex-col">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2">
        Skip to content
      </a>
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-7xl flex-wrap items-center justify-between gap-3 px-4 py-3">
          <Link prefetch={false} href="/" className="text-lg font-bold text-blue-800">
            HDX <span className="hidden font-normal text-slate-700 sm:inline">Health Data Exchange</span>
          </Link>
          <div className="flex min-w-0 flex-wrap items-center justify-end gap-x-4 gap-y-2">
            <p className="min-w-0 text-right text-sm leading-tight [overflow-wrap:anywhere]">
              <span className="block font-medium text-slate-900">{user.full_name || user.email}</span>
              <span className="block text-slate-600">
                {ROLE_LABELS[user.role]}
                {user.organization && ` · ${user.organization.name}`}
              </span>
            </p>
            <Button variant="secondary" onClick={onSignOut}>
              Sign out
            </Button>
          </div>
        </div>
      </header>
      <div className="mx-auto flex w-full min-w-0 max-w-7xl flex-1 flex-col md:flex-row">
        <nav aria-label="Main" className="border-b border-slate-200 md:w-56 md:shrink-0 md:border-b-0 md:border-r md:py-6">
          <ul className="flex flex-wrap gap-1 px-2 py-2 md:flex-col md:flex-nowrap md:px-3 md:py-0">
            {items.map((item) => (
              <li key={item.href}>
                <Link
                  prefetch={false}
                  href={item.href}
                  aria-current={isCurrent(item.href) ? "page" : undefined}
                  className="block whitespace-nowrap rounded-md px-3 py-2 text-sm font-medium text-slate-800 hover:bg-slate-200 aria-[current=page]:bg-blue-700 aria-[current=page]:text-white"
                >
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" tabIndex={-1} className="min-w-0 flex-1 px-4 py-6 md:px-8">
          {children}
        </main>
      </div>
    </div>
  );
}
