// The centred card that frames the sign-in and sign-up pages.
import type { ReactNode } from "react";

export function AuthFrame({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main className="flex min-h-screen items-center justify-center p-4">
      <div className="w-full max-w-sm rounded-xl border border-slate-800 bg-slate-900/70 p-6 shadow-xl">
        <p className="text-sm font-semibold tracking-tight text-emerald-400">trading-bot</p>
        <h1 className="mt-1 mb-5 text-2xl font-semibold">{title}</h1>
        {children}
      </div>
    </main>
  );
}
