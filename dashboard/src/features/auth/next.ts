// Where to go after signing in: only a path inside this app, never another site.

/** Return `next` when it is a local path; otherwise the portfolio. */
export function safeNext(next: string | null): string {
  if (!next?.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) {
    return "/portfolio";
  }
  if (next.startsWith("/signin") || next.startsWith("/signup")) return "/portfolio";
  return next;
}
