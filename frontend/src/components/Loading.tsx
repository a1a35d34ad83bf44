export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <p role="status" className="flex items-center gap-2 py-6 text-slate-700">
      <span className="h-5 w-5 animate-spin rounded-full border-2 border-blue-700 border-t-transparent" aria-hidden />
      {label}
    </p>
  );
}
