import Link from "next/link";
import type { ReactNode } from "react";

/** The frame of every page used before signing in. */
export function AuthCard({ title, intro, children, footer }: { title: string; intro?: ReactNode; children: ReactNode; footer?: ReactNode }) {
  return (
    <div className="flex min-h-screen flex-col">
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto max-w-5xl px-4 py-3">
          <Link prefetch={false} href="/" className="text-lg font-bold text-blue-800">
            HDX <span className="font-normal text-slate-700">Health Data Exchange</span>
          </Link>
        </div>
      </header>
      <main id="main" className="flex flex-1 items-start justify-center px-4 py-10">
        <div className="w-full max-w-md rounded-lg border border-slate-200 bg-white p-6 shadow-sm sm:p-8">
          <h1 className="text-2xl font-bold text-slate-900">{title}</h1>
          {intro && <div className="mt-2 text-slate-700">{intro}</div>}
          <div className="mt-6">{children}</div>
          {footer && <div className="mt-6 border-t border-slate-200 pt-4 text-sm text-slate-700">{footer}</div>}
        </div>
      </main>
    </div>
  );
}
