// The trade log's filter bar: ticker, date range, strategy, winners or losers.
import type { TradeFilters, Profitable } from "./filters";
import { useStrategyOptions } from "./queries";

interface Props {
  filters: TradeFilters;
  onChange: (filters: TradeFilters) => void;
}

export function TradeFiltersForm({ filters, onChange }: Props) {
  const strategies = useStrategyOptions();
  const set = (patch: Partial<TradeFilters>) => {
    onChange({ ...filters, ...patch, page: 0 });
  };

  return (
    <form
      role="search"
      aria-label="Filter trades"
      className="grid grid-cols-2 gap-3 md:grid-cols-5"
      onSubmit={(event) => {
        event.preventDefault();
      }}
    >
      <div className="col-span-2 md:col-span-1">
        <label htmlFor="trades-ticker" className="field-label">
          Ticker
        </label>
        <input
          id="trades-ticker"
          type="search"
          className="input uppercase"
          placeholder="AAPL"
          value={filters.ticker}
          onChange={(event) => {
            set({ ticker: event.target.value });
          }}
        />
      </div>
      <div>
        <label htmlFor="trades-from" className="field-label">
          From
        </label>
        <input
          id="trades-from"
          type="date"
          className="input"
          value={filters.from}
          max={filters.to || undefined}
          onChange={(event) => {
            set({ from: event.target.value });
          }}
        />
      </div>
      <div>
        <label htmlFor="trades-to" className="field-label">
          To
        </label>
        <input
          id="trades-to"
          type="date"
          className="input"
          value={filters.to}
          min={filters.from || undefined}
          onChange={(event) => {
            set({ to: event.target.value });
          }}
        />
      </div>
      <div>
        <label htmlFor="trades-strategy" className="field-label">
          Strategy
        </label>
        <select
          id="trades-strategy"
          className="input"
          value={filters.strategy}
          onChange={(event) => {
            set({ strategy: event.target.value });
          }}
        >
          <option value="">All strategies</option>
          {(strategies.data ?? []).map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </div>
      <div>
        <label htmlFor="trades-profitable" className="field-label">
          Outcome
        </label>
        <select
          id="trades-profitable"
          className="input"
          value={filters.profitable}
          onChange={(event) => {
            set({ profitable: event.target.value as Profitable });
          }}
        >
          <option value="all">All trades</option>
          <option value="winners">Profitable</option>
          <option value="losers">Losing</option>
        </select>
      </div>
    </form>
  );
}
