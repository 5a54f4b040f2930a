// The app's frame: a sidebar (a scrolling strip on phones) to every view, a top bar, the page.
import { NavLink } from "react-router-dom";
import type { ReactNode } from "react";

export interface NavItem {
  to: string;
  label: string;
}

interface LayoutProps {
  nav: readonly NavItem[];
  topBar: ReactNode;
  footer?: ReactNode;
  children: ReactNode;
}

function navClass({ isActive }: { isActive: boolean }): string {
  const base = "block whitespace-nowrap rounded-md px-3 py-2 text-sm font-medium";
  return isActive
    ? `${base} bg-slate-800 text-white`
    : `${base} text-slate-400 hover:bg-slate-900 hover:text-slate-100`;
}

export function Layout({ nav, topBar, footer, children }: LayoutProps) {
  return (
    <div className="min-h-screen md:flex">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:z-50 focus:m-2 focus:rounded focus:bg-slate-800 focus:p-2"
      >
        Skip to content
      </a>
      <aside className="border-b border-slate-800 bg-slate-950 md:sticky md:top-0 md:flex md:h-screen md:w-56 md:shrink-0 md:flex-col md:border-r md:border-b-0">
        <div className="hidden px-4 py-5 md:block">
          <span className="text-lg font-semibold tracking-tight">trading-bot</span>
        </div>
        <nav aria-label="Main" className="relative overflow-x-auto md:flex-1 md:overflow-visible">
          <ul className="flex gap-1 px-2 py-2 md:flex-col md:py-0">
            {nav.map((item) => (
              <li key={item.to}>
                <NavLink to={item.to} className={navClass}>
                  {item.label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        {footer ? <div className="hidden p-3 md:block">{footer}</div> : null}
      </aside>
      <div className="min-w-0 flex-1">
        <header className="sticky top-0 z-30 border-b border-slate-800 bg-slate-950/90 px-3 py-2 backdrop-blur md:px-6">
          {topBar}
        </header>
        <main id="main" className="mx-auto max-w-7xl p-3 md:p-6">
          {children}
        </main>
      </div>
    </div>
  );
}

export function PageHeading({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="mb-4 flex flex-wrap items-end justify-between gap-3">
      <h1 className="text-2xl font-semibold tracking-tight">{title}</h1>
      {children}
    </div>
  );
}
