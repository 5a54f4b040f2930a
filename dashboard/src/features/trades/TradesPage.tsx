// The trade log: filters in the URL, a paginated table, and rows that expand into their story.
import { Fragment, useState } from "react";
import { useSearchParams } from "react-router-dom";

import { Badge } from "@/components/Badge";
import { Card } from "@/components/Card";
import { PageHeading } from "@/components/Layout";
import { EmptyState, QueryView } from "@/components/states";
import {
  formatDateTime,
  formatMoney,
  formatQuantity,
  formatSignedMoney,
  pnlTone,
  toneClass,
} from "@/lib/format";

import { PAGE_SIZE, filtersFromSearch, filtersToSearch, toTradeQuery, type TradeFilters } from "./filters";
import { useTrades } from "./queries";
import { TradeDetailPanel } from "./TradeDetailPanel";
import { TradeFiltersForm } from "./TradeFiltersForm";

const STATUS_COLOR: Record<string, "green" | "amber" | "red" | "slate"> = {
  FILLED: "green",
  PARTIALLY_FILLED: "amber",
  PENDING: "amber",
  REJECTED: "red",
  CANCELLED: "slate",
};

export default function TradesPage() {
  const [search, setSearch] = useSearchParams();
  const filters = filtersFromSearch(search);
  const trades = useTrades(toTradeQuery(filters));
  const [open, setOpen] = useState<string | null>(null);

  const update = (next: TradeFilters) => {
    setSearch(filtersToSearch(next), { replace: true });
  };

  return (
    <>
      <PageHeading title="Trades" />
      <Card>
        <TradeFiltersForm filters={filters} onChange={update} />
      </Card>
      <Card className="mt-4">
        <QueryView
          query={trades}
          loadingLabel="Loading trades…"
          isEmpty={(data) => data.items.length === 0}
          empty={<EmptyState title="No trades match these filters." />}
        >
          {(data) => {
            const first = data.total === 0 ? 0 : filters.page * PAGE_SIZE + 1;
            const last = filters.page * PAGE_SIZE + data.items.length;
            return (
              <>
                <div className="relative overflow-x-auto">
                  <table className="table-base" aria-label="Trades">
                    <thead>
                      <tr>
                        <th scope="col"><span className="sr-only">Details</span></th>
                        <th scope="col">Time</th>
                        <th scope="col">Ticker</th>
                        <th scope="col">Side</th>
                        <th scope="col" className="text-right">Qty</th>
                        <th scope="col" className="text-right">Price</th>
                        <th scope="col" className="text-right">P&amp;L</th>
                        <th scope="col">Status</th>
                      </tr>
                    </thead>
                    <tbody>
                      {data.items.map((trade) => {
                        const expanded = open === trade.trade_id;
                        const detailId = `trade-detail-${trade.trade_id}`;
                        return (
                          <Fragment key={trade.trade_id}>
                            <tr data-testid="trade-row" data-ticker={trade.ticker}>
                              <td>
                                <button
                                  type="button"
                                  aria-expanded={expanded}
                                  aria-controls={detailId}
                                  aria-label={`${expanded ? "Hide" : "Show"} details of the ${trade.ticker} trade`}
                                  className="rounded px-1.5 text-slate-400 hover:bg-slate-800"
                                  onClick={() => {
                                    setOpen(expanded ? null : trade.trade_id);
                                  }}
                                >
                                  {expanded ? "▾" : "▸"}
                                </button>
                              </td>
                              <td className="whitespace-nowrap">{formatDateTime(trade.filled_at ?? trade.submitted_at)}</td>
                              <td className="font-semibold">{trade.ticker}</td>
                              <td>{trade.side === "BUY" ? "Buy" : "Sell"}{trade.is_exit ? " (exit)" : ""}</td>
                              <td className="text-right">{formatQuantity(trade.qty)}</td>
                              <td className="text-right">{formatMoney(trade.price)}</td>
                              <td className={`text-right ${toneClass(pnlTone(trade.realized_pnl))}`}>
                                {formatSignedMoney(trade.realized_pnl)}
                              </td>
                              <td>
                                <Badge color={STATUS_COLOR[trade.status] ?? "slate"}>{trade.status.toLowerCase()}</Badge>
                              </td>
                            </tr>
                            {expanded ? (
                              <tr id={detailId}>
                                <td colSpan={8} className="bg-slate-950/60">
                                  <TradeDetailPanel tradeId={trade.trade_id} />
                                </td>
                              </tr>
                            ) : null}
                          </Fragment>
                        );
                      })}
                    </tbody>
                  </table>
                </div>
                <nav aria-label="Pages" className="mt-3 flex items-center justify-between text-sm text-slate-400">
                  <span>
                    {first}–{last} of {data.total}
                  </span>
                  <span className="flex gap-2">
                    <button
                      type="button"
                      className="btn-secondary"
                      disabled={filters.page === 0}
                      onClick={() => {
                        update({ ...filters, page: filters.page - 1 });
                      }}
                    >
                      Previous
                    </button>
                    <button
                      type="button"
                      className="btn-secondary"
                      disabled={last >= data.total}
                      onClick={() => {
                        update({ ...filters, page: filters.page + 1 });
                      }}
                    >
                      Next
                    </button>
                  </span>
                </nav>
              </>
            );
          }}
        </QueryView>
      </Card>
    </>
  );
}
