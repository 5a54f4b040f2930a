// Open positions with unrealised P&L, protective levels, and a confirmed close button.
import { useState } from "react";

import { errorMessage } from "@/api";
import type { Position } from "@/api/types";
import { Card } from "@/components/Card";
import { ConfirmDialog } from "@/components/ConfirmDialog";
import { EmptyState, QueryView } from "@/components/states";
import { useToast } from "@/components/toasts";
import {
  formatMoney,
  formatPercent,
  formatQuantity,
  formatSignedMoney,
  pnlTone,
  toneClass,
} from "@/lib/format";

import { useClosePosition, usePositions } from "./queries";

export function PositionsTable() {
  const positions = usePositions();
  const close = useClosePosition();
  const toast = useToast();
  const [closing, setClosing] = useState<Position | null>(null);

  const confirmClose = () => {
    if (!closing) return;
    const { ticker } = closing;
    close.mutate(ticker, {
      onSuccess: () => {
        toast.show(`Closing ${ticker}: the order was sent to the executor.`, "success");
        setClosing(null);
      },
      onError: (error) => {
        toast.show(`Could not close ${ticker}: ${errorMessage(error)}`, "error");
        setClosing(null);
      },
    });
  };

  return (
    <Card title="Open positions">
      <QueryView
        query={positions}
        loadingLabel="Loading positions…"
        isEmpty={(data) => data.length === 0}
        empty={<EmptyState title="No open positions." />}
      >
        {(data) => (
          <div className="relative overflow-x-auto">
            <table className="table-base">
              <thead>
                <tr>
                  <th scope="col">Ticker</th>
                  <th scope="col" className="text-right">Qty</th>
                  <th scope="col" className="text-right">Entry</th>
                  <th scope="col" className="text-right">Price</th>
                  <th scope="col" className="text-right">Unrealised P&amp;L</th>
                  <th scope="col" className="text-right">Stop</th>
                  <th scope="col" className="text-right">Take profit</th>
                  <th scope="col"><span className="sr-only">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                {data.map((position) => {
                  const tone = toneClass(pnlTone(position.unrealized_pnl));
                  return (
                    <tr key={position.ticker}>
                      <th scope="row" className="px-2 py-2 font-semibold">{position.ticker}</th>
                      <td className="text-right">{formatQuantity(position.qty)}</td>
                      <td className="text-right">{formatMoney(position.avg_entry_price)}</td>
                      <td className="text-right">{formatMoney(position.market_price)}</td>
                      <td className={`text-right ${tone}`}>
                        {formatSignedMoney(position.unrealized_pnl)}
                        <span className="ml-1 text-xs">
                          ({formatPercent(position.unrealized_pnl_pct, { signed: true })})
                        </span>
                      </td>
                      <td className="text-right">{formatMoney(position.stop_loss)}</td>
                      <td className="text-right">{formatMoney(position.take_profit)}</td>
                      <td className="text-right">
                        <button
                          type="button"
                          className="btn-secondary"
                          aria-label={`Close position in ${position.ticker}`}
                          onClick={() => {
                            setClosing(position);
                          }}
                        >
                          Close
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
      <ConfirmDialog
        open={closing !== null}
        title={`Close ${closing?.ticker ?? ""}?`}
        confirmLabel="Close position"
        busy={close.isPending}
        onConfirm={confirmClose}
        onCancel={() => {
          setClosing(null);
        }}
      >
        The executor sells the whole position ({formatQuantity(closing?.qty)} shares) at market
        through its normal risk checks. This cannot be undone.
      </ConfirmDialog>
    </Card>
  );
}
