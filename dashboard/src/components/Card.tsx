// Panels that group a view's content, and the small labelled figures inside them.
import type { ReactNode } from "react";

export function Card({
  title,
  actions,
  children,
  className = "",
  headingLevel = 2,
}: {
  title?: string;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
  headingLevel?: 2 | 3;
}) {
  const Heading = headingLevel === 2 ? "h2" : "h3";
  return (
    <section
      aria-label={title}
      className={`min-w-0 rounded-xl border border-slate-800 bg-slate-900/60 p-4 shadow-sm ${className}`}
    >
      {title || actions ? (
        <header className="mb-3 flex flex-wrap items-center justify-between gap-2">
          {title ? (
            <Heading className="text-sm font-semibold uppercase tracking-wide text-slate-400">
              {title}
            </Heading>
          ) : (
            <span />
          )}
          {actions}
        </header>
      ) : null}
      {children}
    </section>
  );
}

export function Stat({
  label,
  value,
  tone = "",
  hint,
  testId,
}: {
  label: string;
  value: string;
  tone?: string;
  hint?: string;
  testId?: string;
}) {
  return (
    <div className="min-w-0">
      <dt className="text-xs uppercase tracking-wide text-slate-400">{label}</dt>
      <dd className={`truncate text-xl font-semibold tabular-nums ${tone}`} data-testid={testId}>
        {value}
      </dd>
      {hint ? <dd className="text-xs text-slate-500">{hint}</dd> : null}
    </div>
  );
}
