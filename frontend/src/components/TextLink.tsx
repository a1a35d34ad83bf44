import Link from "next/link";
import type { ComponentProps } from "react";

/**
 * Links do not prefetch: every prefetch is a request, and the exchange rate-limits requests per address,
 * which a hospital's shared address reaches quickly.
 */
export function TextLink({ className = "", ...props }: ComponentProps<typeof Link>) {
  return <Link prefetch={false} className={`font-medium text-blue-700 underline hover:text-blue-900 ${className}`} {...props} />;
}
