// Short notifications in a live region: a trade filled, a token copied, an action failed.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from "react";
import type { ReactNode } from "react";

export type ToastTone = "info" | "success" | "error";

export interface Toast {
  id: number;
  message: string;
  tone: ToastTone;
}

export interface Toaster {
  /** Show `message` for a few seconds (errors stay until dismissed). */
  show(message: string, tone?: ToastTone): void;
}

const ToastContext = createContext<Toaster | null>(null);

const TONES: Record<ToastTone, string> = {
  info: "border-sky-700 bg-slate-900",
  success: "border-emerald-700 bg-emerald-950",
  error: "border-rose-700 bg-rose-950",
};

/** How long an info or success toast stays on screen. */
export const TOAST_MS = 6000;
const MAX_TOASTS = 5;

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const nextId = useRef(1);
  const timers = useRef(new Map<number, ReturnType<typeof setTimeout>>());

  const dismiss = useCallback((id: number) => {
    setToasts((current) => current.filter((toast) => toast.id !== id));
    const timer = timers.current.get(id);
    if (timer) clearTimeout(timer);
    timers.current.delete(id);
  }, []);

  const show = useCallback(
    (message: string, tone: ToastTone = "info") => {
      const id = nextId.current++;
      setToasts((current) => [...current, { id, message, tone }].slice(-MAX_TOASTS));
      if (tone !== "error") {
        timers.current.set(
          id,
          setTimeout(() => {
            dismiss(id);
          }, TOAST_MS),
        );
      }
    },
    [dismiss],
  );

  useEffect(() => {
    const pending = timers.current;
    return () => {
      for (const timer of pending.values()) clearTimeout(timer);
    };
  }, []);

  const toaster = useMemo(() => ({ show }), [show]);

  return (
    <ToastContext.Provider value={toaster}>
      {children}
      <div
        aria-live="polite"
        aria-label="Notifications"
        role="region"
        className="pointer-events-none fixed right-3 bottom-3 z-50 flex w-[calc(100%-1.5rem)] max-w-sm flex-col gap-2"
      >
        {toasts.map((toast) => (
          <div
            key={toast.id}
            role={toast.tone === "error" ? "alert" : "status"}
            className={`pointer-events-auto flex items-start justify-between gap-3 rounded-lg border px-3 py-2 text-sm shadow-lg ${TONES[toast.tone]}`}
          >
            <span>{toast.message}</span>
            <button
              type="button"
              aria-label="Dismiss notification"
              className="text-slate-400 hover:text-slate-100"
              onClick={() => {
                dismiss(toast.id);
              }}
            >
              ×
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

/** Return the app's toaster; throws outside a ToastProvider, which is a wiring mistake. */
export function useToast(): Toaster {
  const toaster = useContext(ToastContext);
  if (!toaster) throw new Error("useToast must be used inside <ToastProvider>");
  return toaster;
}
