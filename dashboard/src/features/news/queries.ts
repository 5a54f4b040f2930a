// News queries: the scored-article feed.
import { keepPreviousData, useQuery } from "@tanstack/react-query";

import { api, unwrap } from "@/api";
import type { NewsQuery } from "@/api/types";

export const newsKeys = {
  all: ["news"] as const,
  lists: () => [...newsKeys.all, "list"] as const,
  list: (query: NewsQuery) => [...newsKeys.lists(), query] as const,
};

export function useNews(query: NewsQuery) {
  return useQuery({
    queryKey: newsKeys.list(query),
    queryFn: () => unwrap(api.client.GET("/api/news", { params: { query } })),
    placeholderData: keepPreviousData,
  });
}
