// A small coloured label: sentiment, trade side, run status.
import type { ReactNode } from "react";

export type BadgeColor = "green" | "amber" | "red" | "slate" | "sky";

const COLORS: Record<BadgeColor, string> = {
  green: "bg-emerald-900/60 text-emerald-300 ring-emerald-700",
  amber: "bg-amber-900/50 text-amber-300 ring-amber-700",
  red: "bg-rose-900/60 text-rose-300 ring-rose-700",
  slate: "bg-slate-800 text-slate-300 ring-slate-600",
  sky: "bg-sky-900/60 text-sky-300 ring-sky-700",
};

export function Badge({
  color,
  children,
  label,
}: {
  color: BadgeColor;
  children: ReactNode;
  label?: string;
}) {
  return (
    <span
      aria-label={label}
      className={`inline-flex items-center gap-1 rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${COLORS[color]}`}
    >
      {children}
    </span>
  );
}
