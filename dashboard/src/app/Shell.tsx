// The signed-in frame: navigation, the top bar, the live connection, and the current view.
import { Suspense, useEffect, useMemo } from "react";
import { Outlet, useNavigate } from "react-router-dom";

import { api } from "@/api";
import { Layout, type NavItem } from "@/components/Layout";
import { LoadingState } from "@/components/states";
import { liveUrl, mergeHandlers, useLiveEvents, type LiveStatus } from "@/hooks/useLiveEvents";
import { SignOutButton, useSession } from "@/features/auth";
import { newsLiveHandlers } from "@/features/news";
import { portfolioLiveHandlers, TradingStatusBar } from "@/features/portfolio";
import { strategiesLiveHandlers } from "@/features/strategies";
import { tradesLiveHandlers } from "@/features/trades";

const NAV: readonly NavItem[] = [
  { to: "/portfolio", label: "Portfolio" },
  { to: "/trades", label: "Trades" },
  { to: "/strategies", label: "Strategies" },
  { to: "/news", label: "News" },
  { to: "/backtests", label: "Backtests" },
  { to: "/operations", label: "Operations" },
  { to: "/settings", label: "Settings" },
];

const LIVE_LABEL: Record<LiveStatus, string> = {
  idle: "Offline",
  connecting: "Connecting",
  open: "Live",
  reconnecting: "Reconnecting",
};

function LiveIndicator({ status }: { status: LiveStatus }) {
  const color = status === "open" ? "bg-emerald-400" : status === "idle" ? "bg-slate-500" : "bg-amber-400";
  return (
    <span className="flex items-center gap-1.5 text-xs text-slate-400" data-testid="live-status" data-status={status}>
      <span aria-hidden="true" className={`h-2 w-2 rounded-full ${color}`} />
      <span>
        <span className="sr-only">Live updates: </span>
        {LIVE_LABEL[status]}
      </span>
    </span>
  );
}

export function Shell() {
  const navigate = useNavigate();
  const session = useSession();
  const handlers = useMemo(
    () =>
      mergeHandlers(
        tradesLiveHandlers,
        portfolioLiveHandlers,
        newsLiveHandlers,
        strategiesLiveHandlers,
      ),
    [],
  );

  useEffect(() => {
    api.setSignInNavigator((path) => {
      void navigate(path, { replace: true });
    });
  }, [navigate]);

  const live = useLiveEvents({
    url: liveUrl(window.location),
    token: session.accessToken,
    handlers,
    onUnauthorized: () => {
      void api.refreshAccessToken().then((token) => {
        if (!token) api.expireSession();
      });
    },
  });

  return (
    <Layout
      nav={NAV}
      topBar={
        <div className="flex flex-wrap items-center justify-between gap-3">
          <TradingStatusBar />
          <div className="flex items-center gap-3">
            <LiveIndicator status={live} />
            <SignOutButton />
          </div>
        </div>
      }
    >
      <Suspense fallback={<LoadingState />}>
        <Outlet />
      </Suspense>
    </Layout>
  );
}
