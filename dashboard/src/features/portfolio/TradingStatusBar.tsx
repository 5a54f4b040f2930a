// The top bar's summary: portfolio value, day P&L, trading status, and pause / resume.
import { errorMessage } from "@/api";
import { Badge, type BadgeColor } from "@/components/Badge";
import { useToast } from "@/components/toasts";
import { formatMoney, formatSignedMoney, pnlTone, toneClass } from "@/lib/format";

import { usePortfolio, useSetTrading, useTradingStatus } from "./queries";

const STATUS: Record<string, { label: string; color: BadgeColor }> = {
  active: { label: "Active", color: "green" },
  paused: { label: "Paused", color: "amber" },
  kill_switch: { label: "Kill switch", color: "red" },
};

export function TradingStatusBar() {
  const portfolio = usePortfolio();
  const status = useTradingStatus();
  const setTrading = useSetTrading();
  const toast = useToast();
  const state = status.data?.status;
  const shown = state ? (STATUS[state] ?? { label: state, color: "slate" as const }) : null;

  const change = (action: "pause" | "resume") => {
    setTrading.mutate(action, {
      onSuccess: () => {
        toast.show(action === "pause" ? "Trading paused." : "Trading resumed.", "success");
      },
      onError: (error) => {
        toast.show(errorMessage(error), "error");
      },
    });
  };

  return (
    <div className="flex flex-wrap items-center gap-x-5 gap-y-2">
      <dl className="flex items-baseline gap-4">
        <div className="flex items-baseline gap-2">
          <dt className="text-xs uppercase tracking-wide text-slate-400">Value</dt>
          <dd className="font-semibold tabular-nums" data-testid="topbar-value">
            {portfolio.data ? formatMoney(portfolio.data.equity) : "…"}
          </dd>
        </div>
        <div className="flex items-baseline gap-2">
          <dt className="text-xs uppercase tracking-wide text-slate-400">Day</dt>
          <dd
            className={`font-semibold tabular-nums ${toneClass(pnlTone(portfolio.data?.daily_pnl))}`}
            data-testid="topbar-day-pnl"
          >
            {portfolio.data ? formatSignedMoney(portfolio.data.daily_pnl) : "…"}
          </dd>
        </div>
      </dl>
      <div className="flex items-center gap-2">
        <span className="sr-only">Trading status:</span>
        <span data-testid="trading-status" data-status={state ?? "unknown"}>
          {shown ? <Badge color={shown.color}>{shown.label}</Badge> : <Badge color="slate">…</Badge>}
        </span>
        {state === "active" ? (
          <button
            type="button"
            className="btn-secondary"
            disabled={setTrading.isPending}
            onClick={() => {
              change("pause");
            }}
          >
            Pause trading
          </button>
        ) : null}
        {state === "paused" ? (
          <button
            type="button"
            className="btn-primary"
            disabled={setTrading.isPending}
            onClick={() => {
              change("resume");
            }}
          >
            Resume trading
          </button>
        ) : null}
        {state === "kill_switch" ? (
          <span className="text-xs text-rose-300">
            Daily loss limit reached: new entries stop until the next session.
          </span>
        ) : null}
      </div>
    </div>
  );
}
