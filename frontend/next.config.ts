import type { NextConfig } from "next";
import { PHASE_DEVELOPMENT_SERVER } from "next/constants";

// The exchange the development server forwards API calls to.
const API_ORIGIN = process.env.HDX_API_ORIGIN ?? "http://127.0.0.1:8000";

export default function config(phase: string): NextConfig {
  const base: NextConfig = {
    // Pages live at /login/, /datasets/... while the API owns /login, /uploads...: the slash keeps them apart.
    trailingSlash: true,
    skipTrailingSlashRedirect: true,
    reactStrictMode: true,
    poweredByHeader: false,
  };
  if (phase !== PHASE_DEVELOPMENT_SERVER) {
    return { ...base, output: "export", images: { unoptimized: true } };
  }
  return {
    ...base,
    // Next serves its development scripts to localhost only unless told otherwise.
    allowedDevOrigins: ["127.0.0.1"],
    // The development server does not forward WebSockets: the live connection goes to the exchange itself.
    env: { NEXT_PUBLIC_HDX_WS_BASE: process.env.NEXT_PUBLIC_HDX_WS_BASE ?? API_ORIGIN.replace(/^http/, "ws") },
    async rewrites() {
      // The API client marks every call with Accept: application/json; page loads never do.
      return {
        beforeFiles: [
          {
            source: "/:path*",
            has: [{ type: "header", key: "accept", value: "application/json" }],
            destination: `${API_ORIGIN}/:path*`,
          },
        ],
        afterFiles: [],
        fallback: [],
      };
    },
  };
}
