// The shared TanStack Query client: no retries for refused requests, short staleness.
import { QueryClient } from "@tanstack/react-query";

import { ApiError } from "@/api/errors";

const MAX_RETRIES = 2;

/** Retry network failures and 5xx answers twice; a 4xx will not change by asking again. */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  if (error instanceof ApiError && error.status >= 400 && error.status < 500) return false;
  return failureCount < MAX_RETRIES;
}

/** Build the query client the app uses. */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { staleTime: 10_000, retry: shouldRetry, refetchOnWindowFocus: true },
      mutations: { retry: false },
    },
  });
}
