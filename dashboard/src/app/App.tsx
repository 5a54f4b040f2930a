// The app: providers and routes. Views load lazily; only the shell ships in the first bundle.
import { QueryClientProvider } from "@tanstack/react-query";
import { Suspense, lazy, useState } from "react";
import { BrowserRouter, Link, Navigate, Route, Routes } from "react-router-dom";

import { EmptyState, LoadingState } from "@/components/states";
import { ToastProvider } from "@/components/toasts";
import { RequireAuth } from "@/features/auth";
import { createQueryClient } from "@/lib/queryClient";

import { Shell } from "./Shell";

const SignInPage = lazy(() => import("@/features/auth/SignInPage"));
const SignUpPage = lazy(() => import("@/features/auth/SignUpPage"));
const PortfolioPage = lazy(() => import("@/features/portfolio/PortfolioPage"));
const TradesPage = lazy(() => import("@/features/trades/TradesPage"));
const StrategiesPage = lazy(() => import("@/features/strategies/StrategiesPage"));
const NewsPage = lazy(() => import("@/features/news/NewsPage"));
const BacktestPage = lazy(() => import("@/features/backtest/BacktestPage"));
const SettingsPage = lazy(() => import("@/features/settings/SettingsPage"));
const OperationsPage = lazy(() => import("@/features/operations/OperationsPage"));
const AuditPage = lazy(() => import("@/features/operations/AuditPage"));

function NotFound() {
  return (
    <EmptyState title="There is no page here.">
      <Link to="/portfolio" className="text-sky-400 underline">
        Go to the portfolio
      </Link>
    </EmptyState>
  );
}

export function App() {
  const [queryClient] = useState(createQueryClient);
  return (
    <QueryClientProvider client={queryClient}>
      <ToastProvider>
        <BrowserRouter>
          <Suspense fallback={<LoadingState />}>
            <Routes>
              <Route path="/signin" element={<SignInPage />} />
              <Route path="/signup" element={<SignUpPage />} />
              <Route
                element={
                  <RequireAuth>
                    <Shell />
                  </RequireAuth>
                }
              >
                <Route index element={<Navigate to="/portfolio" replace />} />
                <Route path="portfolio" element={<PortfolioPage />} />
                <Route path="trades" element={<TradesPage />} />
                <Route path="strategies" element={<StrategiesPage />} />
                <Route path="news" element={<NewsPage />} />
                <Route path="backtests" element={<BacktestPage />} />
                <Route path="backtests/:runId" element={<BacktestPage />} />
                <Route path="operations" element={<OperationsPage />} />
                <Route path="operations/audit" element={<AuditPage />} />
                <Route path="settings" element={<SettingsPage />} />
                <Route path="*" element={<NotFound />} />
              </Route>
            </Routes>
          </Suspense>
        </BrowserRouter>
      </ToastProvider>
    </QueryClientProvider>
  );
}
