import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import { DocumentTitle } from "@/components/DocumentTitle";
import { SessionProvider } from "@/lib/session";
import "./globals.css";

export const metadata: Metadata = {
  title: "HDX Health Data Exchange",
  description: "Joint statistics over patient data that never leaves its owner.",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 text-slate-900 antialiased">
        <DocumentTitle />
        <SessionProvider>{children}</SessionProvider>
      </body>
    </html>
  );
}
